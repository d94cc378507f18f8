"""Vectorised validators: contract (shape, dtype, nulls), score tiers, dates, lookup by name."""

from __future__ import annotations

import datetime

import polars as pl
import pytest
from stdnum.cn import ric as stdnum_ric

from fenji.detect import validators_cn as cn
from fenji.detect import validators_core
from fenji.detect.validators import VALIDATORS, birth_dates, get_validator
from fenji.errors import ConfigError

REQUIRED = {"cn_ric18", "cn_ric15", "luhn", "bank_card", "imei", "cn_uscc", "vin", "hk_id",
            "tw_id", "cn_mobile"}  # fmt: skip
SAMPLES = [
    "11010519491231002X", "110105491231002", "91110000600037341L", "6222021001123456789",
    "352099001761481", "1M8GDM9AXKP042788", "A1234563", "A123456789", "13800138000",
    "E83226611", "H12345678", "京A12345", None, "", "x", "１１０１０５１９４９１２３１００２Ｘ",
]  # fmt: skip


def ric18(region: str, birth: str, seq: str = "002") -> str:
    body = region + birth + seq
    return body + stdnum_ric.calc_check_digit(body + "0")


def test_required_validators_registered() -> None:
    assert set(VALIDATORS) >= REQUIRED


@pytest.mark.parametrize("name", sorted(VALIDATORS))
def test_output_contract(name: str) -> None:
    values = pl.Series("col", SAMPLES, dtype=pl.String)
    out = VALIDATORS[name](values)
    assert out.dtype == pl.Float64
    assert out.name == "col"
    assert len(out) == len(values)
    assert out.null_count() == 0
    assert out.min() >= 0.0 and out.max() <= 1.0  # type: ignore[operator]
    assert out[SAMPLES.index(None)] == 0.0
    assert out[SAMPLES.index("")] == 0.0
    assert VALIDATORS[name](pl.Series("e", [], dtype=pl.String)).len() == 0
    assert VALIDATORS[name](pl.Series("n", [None, None], dtype=pl.String)).to_list() == [0.0, 0.0]


def test_each_sample_is_recognised_by_its_own_validator_only_where_expected() -> None:
    out = {name: f(pl.Series(SAMPLES, dtype=pl.String)).to_list() for name, f in VALIDATORS.items()}
    assert out["cn_ric18"][0] == 1.0
    assert out["cn_ric15"][1] == cn.RIC15_REGION_KNOWN
    assert out["cn_uscc"][2] == 1.0
    assert out["bank_card"][3] == 1.0
    assert out["imei"][4] == 1.0
    assert out["vin"][5] == 1.0
    assert out["hk_id"][6] == 1.0
    assert out["tw_id"][7] == 1.0
    assert out["cn_mobile"][8] == cn.MOBILE_SEGMENT_KNOWN
    assert out["cn_passport"][9] == cn.PASSPORT_FORMAT
    assert out["cn_hmt_permit"][10] == cn.HK_MO_PERMIT_FORMAT
    assert out["cn_plate"][11] == cn.PLATE_FORMAT
    # Full-width digits are not compacted candidates: the caller normalises first.
    assert all(out[name][-1] == 0.0 for name in VALIDATORS)


def test_resident_id_tiers() -> None:
    values = pl.Series(
        [
            ric18("110105", "19900307"),  # known county
            ric18("110199", "19900307"),  # known province, unknown county
            ric18("990105", "19900307"),  # unknown province
            ric18("110105", "19900307")[:-1] + "0",  # wrong check digit (unless it is 0)
        ]
    )
    scores = VALIDATORS["cn_ric18"](values).to_list()
    assert scores[:3] == [1.0, cn.RIC18_PROVINCE_KNOWN, cn.RIC18_PROVINCE_UNKNOWN]
    assert scores[3] == (1.0 if values[3] == values[0] else 0.0)


def test_lower_case_check_character_and_numeric_columns() -> None:
    assert VALIDATORS["cn_ric18"](pl.Series(["11010519491231002x"])).item() == 1.0
    cards = pl.Series("card", [6222021001123456789, 4380880012345671, 1234], dtype=pl.Int64)
    assert VALIDATORS["bank_card"](cards).to_list() == [1.0, 0.9, 0.0]


@pytest.mark.parametrize("birth", ["19000229", "19990229", "21000229", "19900230", "19901301"])
def test_impossible_dates_rejected(birth: str) -> None:
    number = ric18("110105", birth)
    assert cn.cn_ric18(pl.Series([number]), today=datetime.date(2200, 1, 1)).item() == 0.0
    assert birth_dates(pl.Series([number]), today=datetime.date(2200, 1, 1)).item() is None


def test_leap_days_accepted() -> None:
    values = pl.Series([ric18("110105", "20000229"), ric18("110105", "19960229")])
    assert VALIDATORS["cn_ric18"](values).to_list() == [1.0, 1.0]


def test_future_and_pre_1900_dates_rejected() -> None:
    today = datetime.date(2024, 6, 1)
    values = pl.Series(
        [ric18("110105", "20240601"), ric18("110105", "20240602"), ric18("110105", "18991231")]
    )
    assert cn.cn_ric18(values, today=today).to_list() == [1.0, 0.0, 0.0]
    tomorrow = (datetime.date.today() + datetime.timedelta(days=1)).strftime("%Y%m%d")
    assert VALIDATORS["cn_ric18"](pl.Series([ric18("110105", tomorrow)])).item() == 0.0


def test_legacy_15_digit_form() -> None:
    values = pl.Series(["110105491231002", "110199491231002", "990105491231002", "110105491331002"])
    assert VALIDATORS["cn_ric15"](values).to_list() == [
        cn.RIC15_REGION_KNOWN,
        cn.RIC15_PROVINCE_KNOWN,
        0.0,  # no checksum and no known province: nothing supports it
        0.0,  # month 13
    ]
    both = VALIDATORS["cn_ric"](pl.Series(["110105491231002", "11010519491231002X", "1101054912"]))
    assert both.to_list() == [cn.RIC15_REGION_KNOWN, 1.0, 0.0]


def test_birth_dates() -> None:
    values = pl.Series(
        "id",
        ["11010519491231002X", "110105491231002", "110105194912310021", "abc", None,
         ric18("990105", "20150704")],
    )  # fmt: skip
    got = birth_dates(values)
    assert got.dtype == pl.Date and got.name == "id"
    assert got.to_list() == [
        datetime.date(1949, 12, 31),
        datetime.date(1949, 12, 31),
        None,  # bad check digit
        None,
        None,
        datetime.date(2015, 7, 4),  # unknown region still has a birth date
    ]


def test_birth_dates_count_minors_under_14() -> None:
    today = datetime.date(2024, 6, 1)
    ids = pl.Series([ric18("310104", b) for b in ("20100602", "20100601", "20150101", "19800101")])
    born = birth_dates(ids, today=today)
    cutoff = datetime.date(today.year - 14, today.month, today.day)
    assert int((born > cutoff).sum()) == 2  # born after 2010-06-01: not yet 14


def test_bank_card_tiers() -> None:
    values = pl.Series(["6222021001123456789", "4380880012345671", "4380880012345672"])
    assert VALIDATORS["bank_card"](values).to_list() == [1.0, 0.9, 0.0]


def test_sliced_and_chunked_series() -> None:
    """Arrow offsets and several chunks must not shift bytes between candidates."""
    good = ["11010519491231002X", "91110000600037341L"] * 3
    sliced = pl.Series(["junk", *good])[1:]
    assert VALIDATORS["cn_ric18"](sliced).to_list() == [1.0, 0.0] * 3
    chunked = pl.concat([pl.Series(good[:3]), pl.Series(good[3:])], rechunk=False)
    assert chunked.n_chunks() == 2
    assert VALIDATORS["cn_uscc"](chunked).to_list() == [0.0, 1.0] * 3


def test_block_boundaries_do_not_change_results(monkeypatch: pytest.MonkeyPatch) -> None:
    values = pl.Series(
        [ric18("110105", f"1990{m:02d}15") if m % 3 else "x" for m in range(1, 13)] * 5
        + ["6222021001123456789", "1M8GDM9AXKP042788"] * 4
    )
    expected = {name: f(values).to_list() for name, f in VALIDATORS.items()}
    monkeypatch.setattr(validators_core, "BLOCK_ROWS", 7)
    assert {name: f(values).to_list() for name, f in VALIDATORS.items()} == expected
    assert birth_dates(values).null_count() == values.len() - sum(s > 0 for s in expected["cn_ric"])


def test_multibyte_values_of_matching_byte_length_are_rejected() -> None:
    # "１" is three UTF-8 bytes: six of them are 18 bytes, like an 18-character ID.
    assert VALIDATORS["cn_ric18"](pl.Series(["１" * 6])).item() == 0.0
    assert VALIDATORS["cn_uscc"](pl.Series(["京" * 6])).item() == 0.0


def test_unknown_validator_name_lists_choices() -> None:
    with pytest.raises(ConfigError) as info:
        get_validator("cn_ric19", where="packs/general/recognizers.yaml: CN_RESIDENT_ID")
    message = str(info.value)
    assert "cn_ric19" in message and "recognizers.yaml" in message
    assert "cn_ric18" in message and "bank_card" in message
    assert get_validator("luhn") is VALIDATORS["luhn"]
