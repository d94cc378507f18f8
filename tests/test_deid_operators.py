"""Operators: behaviour, bad parameters, nulls, non-Latin text, keyed stability."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date, datetime

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import luhn
from stdnum.cn import ric

from fenji.deid.keys import hmac_many
from fenji.deid.operators import OPERATORS, validate_params
from fenji.deid.pseudonym import pseudonymize, reidentify
from fenji.errors import ConfigError, InputError

KEY = b"test-key-0123456789abcdef"
OTHER = b"another-key-0123456789xyz"


def run(op: str, values: list, key: bytes | None = KEY, **params) -> list:
    frame = pl.DataFrame({"c": values})
    checked = validate_params(op, params, "test")
    return OPERATORS[op].apply(frame, "c", checked, key).to_list()


def make_id(region: str, born: str, seq: str) -> str:
    body = region + born + seq
    return body + ric.calc_check_digit(body + "0")


# --- mask -----------------------------------------------------------------------------------


def test_mask_presets_match_the_documented_examples() -> None:
    assert run("mask", ["110101199003074514"], preset="CN_RESIDENT_ID") == ["110***********4514"]
    assert run("mask", ["13800138000"], preset="CN_MOBILE_PHONE") == ["138****8000"]
    assert run("mask", ["zhangsan@example.com"], preset="EMAIL_ADDRESS") == ["z***@example.com"]


def test_mask_counts_characters_not_bytes_for_chinese_text() -> None:
    assert run("mask", ["张三丰", "欧阳娜娜"], preset="PERSON_NAME") == ["张**", "欧***"]


def test_mask_never_reveals_a_value_shorter_than_what_it_keeps() -> None:
    out = run("mask", ["12", "1234567"], keep_first=3, keep_last=4, char="#")
    assert out == ["##", "#######"]


def test_mask_keeps_nulls_and_escapes_the_mask_character() -> None:
    assert run("mask", [None, "abcdef"], keep_first=1, keep_last=1, char="$") == [None, "a$$$$f"]
    assert run("mask", ["li@b.cn"], preset="EMAIL_ADDRESS", char="$") == ["l$$$@b.cn"]


@given(st.text(min_size=0, max_size=30), st.integers(0, 5), st.integers(0, 5))
@settings(max_examples=60, deadline=None)
def test_mask_preserves_length_and_kept_ends(value: str, first: int, last: int) -> None:
    (out,) = run("mask", [value], keep_first=first, keep_last=last)
    assert len(out) == len(value)
    if len(value) > first + last:
        assert out[:first] == value[:first]
        assert out[len(out) - last :] == value[len(value) - last :]
    else:
        assert set(out) <= {"*"}


# --- redact, suppress, keep -----------------------------------------------------------------


def test_redact_replaces_values_and_keeps_nulls() -> None:
    assert run("redact", ["a", None, "王"]) == ["[REDACTED]", None, "[REDACTED]"]
    assert run("redact", ["a"], text="已删除") == ["已删除"]


def test_suppress_blanks_all_or_only_rare_values() -> None:
    values = ["北京", "北京", "上海", None, "北京"]
    assert run("suppress", values) == [None] * 5
    assert run("suppress", values, min_count=2) == ["北京", "北京", None, None, "北京"]


def test_keep_returns_the_column_unchanged() -> None:
    assert run("keep", ["0110", None, "张"]) == ["0110", None, "张"]


# --- hash -----------------------------------------------------------------------------------


def test_hash_is_stable_per_key_and_differs_across_keys() -> None:
    values = ["110101199003074514", "张三", "110101199003074514"]
    first, second = run("hash", values), run("hash", values)
    assert first == second and first[0] == first[2] and first[0] != first[1]
    assert run("hash", values, key=OTHER)[0] != first[0]
    assert len(first[0]) == 64 and int(first[0], 16) >= 0


def test_hash_length_prefix_compact_and_nulls() -> None:
    out = run("hash", ["138 0013 8000", "13800138000", None], length=16, prefix="h_", compact=True)
    assert out[0] == out[1] and out[2] is None
    assert out[0].startswith("h_") and len(out[0]) == 18


@given(st.lists(st.text(max_size=40), max_size=20), st.binary(min_size=1, max_size=100))
@settings(max_examples=50, deadline=None)
def test_hmac_many_is_rfc2104_hmac_sha256(values: list[str], key: bytes) -> None:
    expected = [hmac.digest(key, v.encode("utf-8"), hashlib.sha256) for v in values]
    assert hmac_many(key, values) == expected


# --- pseudonymize ---------------------------------------------------------------------------


def test_token_pseudonyms_are_stable_distinct_and_keyed() -> None:
    values = [f"用户{i}" for i in range(5000)] + [None]
    a = pseudonymize(pl.Series(values), {"format": "token"}, KEY).to_list()
    b = pseudonymize(pl.Series(values), {"format": "token"}, KEY).to_list()
    c = pseudonymize(pl.Series(values), {"format": "token"}, OTHER).to_list()
    assert a == b and a[-1] is None
    assert len(set(a[:-1])) == 5000
    assert all(x != y for x, y in zip(a[:-1], c[:-1], strict=True))


def test_token_pseudonyms_cannot_be_reversed() -> None:
    with pytest.raises(ConfigError, match="cannot be reversed"):
        reidentify(pl.Series(["abc"]), {"format": "token"}, KEY)


def test_id_pseudonyms_keep_a_valid_structure_and_round_trip() -> None:
    ids = [make_id("110101", "19900307", "451"), make_id("440304", "20011231", "002"), None]
    params = {"format": "CN_RESIDENT_ID"}
    out = pseudonymize(pl.Series(ids), params, KEY).to_list()
    for value in out[:2]:
        assert len(value) == 18 and value[:17].isdigit()
        assert ric.calc_check_digit(value) == value[17]
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))  # a real calendar date
    assert out[:2] != ids[:2] and out[2] is None
    assert reidentify(pl.Series(out), params, KEY).to_list() == ids
    assert reidentify(pl.Series(out), params, OTHER).to_list() != ids


def test_id_pseudonyms_can_keep_the_region() -> None:
    original = make_id("310115", "19751105", "123")
    params = {"format": "CN_RESIDENT_ID", "keep_region": True}
    (out,) = pseudonymize(pl.Series([original]), params, KEY).to_list()
    assert out[:6] == "310115" and out != original
    assert reidentify(pl.Series([out]), params, KEY).to_list() == [original]


def test_invalid_ids_become_tokens_or_nulls_never_pass_through() -> None:
    good = make_id("110101", "19900307", "451")
    wrong_check = good[:-1] + ("1" if good[-1] == "0" else "0")
    bad = [wrong_check, "张三", "12345", "110101199002304511"]  # last: 30 February
    tokens = pseudonymize(pl.Series(bad), {"format": "CN_RESIDENT_ID"}, KEY).to_list()
    assert all(t not in bad and t is not None for t in tokens)
    nulls = pseudonymize(
        pl.Series(bad), {"format": "CN_RESIDENT_ID", "on_invalid": "null"}, KEY
    ).to_list()
    assert nulls == [None] * len(bad)


def test_mobile_pseudonyms_keep_the_prefix_and_round_trip() -> None:
    phones = ["13800138000", "19912345678"]
    params = {"format": "CN_MOBILE_PHONE"}
    out = pseudonymize(pl.Series(phones), params, KEY).to_list()
    assert [p[:3] for p in out] == ["138", "199"] and all(len(p) == 11 for p in out)
    assert out != phones
    assert reidentify(pl.Series(out), params, KEY).to_list() == phones


def test_bank_card_pseudonyms_keep_bin_and_luhn() -> None:
    bodies = ["411111111111111", "622202020011223344"]  # 16- and 19-digit cards
    cards = [b + luhn.calc_check_digit(b) for b in bodies]
    params = {"format": "BANK_CARD_NUMBER"}
    out = pseudonymize(pl.Series(cards), params, KEY).to_list()
    assert all(luhn.is_valid(c) and c[:6] == o[:6] for c, o in zip(cards, out, strict=True))
    assert reidentify(pl.Series(out), params, KEY).to_list() == cards


def test_digit_pseudonyms_keep_length_and_leading_zeros() -> None:
    values = ["000123", "0987654321"]
    params = {"format": "digits"}
    out = pseudonymize(pl.Series(values), params, KEY).to_list()
    assert [len(v) for v in out] == [6, 10] and all(v.isdigit() for v in out)
    assert reidentify(pl.Series(out), params, KEY).to_list() == values


# --- generalize -----------------------------------------------------------------------------


def test_id_number_generalises_by_its_structure() -> None:
    ids = [make_id("110101", "19900307", "451"), "110101900307451", "not an id", None]
    assert run("generalize", ids, kind="id_number", to="region", digits=4) == [
        "110100",
        "110100",
        None,
        None,
    ]
    assert run("generalize", ids, kind="id_number", to="birth_year")[:2] == ["1990", "1990"]
    assert run("generalize", ids, kind="id_number", to="birth_decade")[0] == "1990-1999"
    bands = run("generalize", ids, kind="id_number", to="age_band", width=10, as_of="2020-03-06")
    assert bands[0] == "[20,30)"  # 29 on 2020-03-06, 30 the next day
    after = run("generalize", ids, kind="id_number", to="age_band", width=10, as_of="2020-03-07")
    assert after[0] == "[30,40)"


def test_dates_in_chinese_and_full_width_forms() -> None:
    values = ["1990-03-07", "1990年3月7日", "１９９０／０３／０７", "19900307", "1990-02-30", None]
    assert run("generalize", values, kind="date", to="month") == ["1990-03"] * 4 + [None, None]
    assert run("generalize", values, kind="date", to="year")[:4] == ["1990"] * 4
    assert run("generalize", values, kind="date", to="decade")[0] == "1990-1999"


def test_number_bins_with_top_and_bottom_coding() -> None:
    out = run("generalize", ["5", "17", "1,234", "99", "x", None], kind="number", width=10,
              bottom=10, top=90)  # fmt: skip
    assert out == ["<10", "[10,20)", ">=90", ">=90", None, None]
    assert run("generalize", ["2.6"], kind="number", width=2.5) == ["[2.5,5.0)"]


def test_gps_rounding_and_geohash() -> None:
    values = ["39.9042,116.4074", "39.9042， 116.4074", "-33.8688 151.2093", "nowhere", None]
    assert run("generalize", values, kind="gps", decimals=1)[:3] == [
        "39.9,116.4",
        "39.9,116.4",
        "-33.9,151.2",
    ]
    assert run("generalize", ["57.64911,10.40744"], kind="gps", geohash=11) == ["u4pruydqqvj"]
    assert run("generalize", values, kind="gps", geohash=5)[3:] == [None, None]


def test_address_levels() -> None:
    values = [
        "北京市海淀区中关村大街1号",
        "广东省深圳市南山区科技园",
        "新疆维吾尔自治区乌鲁木齐市天山区",
        "123 Main Street",
        None,
    ]
    assert run("generalize", values, kind="address", to="district") == [
        "北京市海淀区",
        "广东省深圳市南山区",
        "新疆维吾尔自治区乌鲁木齐市天山区",
        None,
        None,
    ]
    assert run("generalize", values, kind="address", to="city")[:3] == [
        "北京市",
        "广东省深圳市",
        "新疆维吾尔自治区乌鲁木齐市",
    ]
    assert run("generalize", values, kind="address", to="province")[:3] == [
        "北京市",
        "广东省",
        "新疆维吾尔自治区",
    ]


def test_prefix_and_map() -> None:
    assert run("generalize", ["100080", "邮编12", None], kind="prefix", keep=3) == [
        "100***",
        "邮编1*",
        None,
    ]
    assert run("generalize", ["医生", "律师", None], kind="map", mapping={"医生": "医疗"},
               default="其他") == ["医疗", "其他", None]  # fmt: skip


def test_generalising_many_repeated_values_matches_row_by_row() -> None:
    values = [f"19{y:02d}-0{m}-1{d}" for y in range(50) for m in range(1, 10) for d in range(10)]
    many = values * 4
    assert run("generalize", many, kind="date", to="month")[: len(values)] == run(
        "generalize", values, kind="date", to="month"
    )


# --- date_shift -----------------------------------------------------------------------------


def test_date_shift_is_consistent_per_individual_and_never_zero() -> None:
    people = [f"P{i % 200}" for i in range(1000)]
    dates = ["2020-06-15"] * 1000
    frame = pl.DataFrame({"d": dates, "who": people})
    params = validate_params("date_shift", {"by": "who", "max_days": 10}, "test")
    shifted = OPERATORS["date_shift"].apply(frame, "d", params, KEY).to_list()
    offsets = {}
    for who, value in zip(people, shifted, strict=True):
        delta = (date.fromisoformat(value) - date(2020, 6, 15)).days
        assert delta != 0 and -10 <= delta <= 10
        assert offsets.setdefault(who, delta) == delta
    assert len(set(offsets.values())) > 10  # spread over the range, not one constant


def test_date_shift_keeps_types_and_time_of_day() -> None:
    frame = pl.DataFrame(
        {
            "d": [date(2020, 1, 1), None],
            "t": [datetime(2020, 1, 1, 8, 30), datetime(2020, 1, 1, 9)],
            "s": ["2020-01-01 08:30", "2020年1月1日"],
            "who": ["a", "a"],
        }
    )
    params = {"by": "who", "max_days": 5}
    d = OPERATORS["date_shift"].apply(frame, "d", params, KEY)
    t = OPERATORS["date_shift"].apply(frame, "t", params, KEY)
    s = OPERATORS["date_shift"].apply(frame, "s", params, KEY).to_list()
    assert d.dtype == pl.Date and d[1] is None
    assert (t[0] - datetime(2020, 1, 1, 8, 30)) == (d[0] - date(2020, 1, 1))
    assert t[0].hour == 8 and s[0].endswith(" 08:30") and s[0][:10] == d[0].isoformat()
    assert s[1] == d[0].isoformat()


def test_keyed_operators_refuse_to_run_without_a_key() -> None:
    frame = pl.DataFrame({"c": ["13800138000"], "who": ["a"]})
    for op, params in (("hash", {}), ("pseudonymize", {}), ("date_shift", {"by": "who"})):
        with pytest.raises(InputError, match="needs a secret key.*FENJI_KEY"):
            OPERATORS[op].apply(frame, "c", params, None)


def test_date_shift_names_a_missing_id_column() -> None:
    frame = pl.DataFrame({"d": ["2020-01-01"]})
    with pytest.raises(Exception, match="'nobody'.*columns: d"):
        OPERATORS["date_shift"].apply(frame, "d", {"by": "nobody"}, KEY)


# --- parameter validation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "params", "message"),
    [
        ("nope", {}, "valid operators: date_shift, generalize, hash, keep, mask"),
        ("mask", {"keep": 1}, "valid parameters: char, keep_first, keep_last, preset"),
        ("mask", {"preset": "X"}, "'preset' must be one of BANK_CARD_NUMBER"),
        ("mask", {"char": "**"}, "'char'"),
        ("mask", {"keep_first": -1}, "'keep_first'"),
        ("hash", {"length": 3}, "'length'"),
        ("generalize", {}, "'kind' is a required property"),
        ("generalize", {"kind": "date", "to": "week"}, "'to' must be one of decade, month"),
        ("generalize", {"kind": "gps"}, "exactly one of decimals, geohash"),
        ("generalize", {"kind": "number", "width": 0}, "'width'"),
        ("generalize", {"kind": "number", "width": 5, "bottom": 9, "top": 1}, "bottom must be"),
        ("date_shift", {}, "'by' is a required property"),
        ("suppress", {"scope": "record"}, "needs min_count"),
        ("pseudonymize", {"format": "ssn"}, "'format' must be one of"),
        ("pseudonymize", {"keep_region": "yes"}, "'keep_region'"),
        ("redact", {"text": 5}, "'text'"),
        ("keep", {"level": 1}, "valid parameters: (none)"),
    ],
)
def test_bad_parameters_are_refused_with_the_valid_choices(op, params, message) -> None:
    with pytest.raises(ConfigError, match="profile p.yaml, column 'x'") as err:
        validate_params(op, params, "profile p.yaml, column 'x'")
    assert message in str(err.value)
