"""Per-value identifier modules: what they accept, what they reject and why."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric as stdnum_ric
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, ValidationError

from fenji.ids import (
    bank_card,
    cn_hmt_permit,
    cn_mobile,
    cn_passport,
    cn_plate,
    cn_ric,
    hk_id,
    imei,
    tw_id,
    vin,
)


def ric18(region: str, birth: str, seq: str = "002") -> str:
    """A well-formed 18-digit resident ID with the correct check digit."""
    body = region + birth + seq
    return body + stdnum_ric.calc_check_digit(body + "0")


# --- resident ID ----------------------------------------------------------------------------


def test_unknown_region_with_valid_checksum_is_valid_but_flagged() -> None:
    number = ric18("990105", "19900307")
    assert cn_ric.validate(number) == number
    assert not cn_ric.region_known(number)
    assert not cn_ric.province_known(number)
    with pytest.raises(ValidationError):
        stdnum_ric.validate(number)  # stdnum rejects it: the reason for the wrapper
    assert not cn_ric.stdnum_is_valid(number)


def test_known_province_unknown_county() -> None:
    number = ric18("110199", "19900307")
    assert cn_ric.is_valid(number)
    assert cn_ric.province_known(number) and not cn_ric.region_known(number)


def test_region_table_includes_stdnum_codes_and_shipped_extras() -> None:
    regions = cn_ric.known_regions()
    assert {"110101", "440305", "810000", "830000"} <= regions
    assert len(regions) > 3000
    assert all(len(code) == 6 and code.isdigit() for code in regions)


def test_legacy_15_digit_form() -> None:
    assert cn_ric.validate("110105491231002") == "110105491231002"
    assert cn_ric.get_birth_date("110105491231002") == datetime.date(1949, 12, 31)
    with pytest.raises(InvalidComponent):
        cn_ric.validate("110105491331002")  # month 13
    with pytest.raises(InvalidFormat):
        cn_ric.validate("11010549123100X")  # the legacy form has no check character


@pytest.mark.parametrize("birth", ["19000229", "19990229", "21000229", "19900431", "19900001"])
def test_impossible_dates_rejected(birth: str) -> None:
    with pytest.raises(InvalidComponent):
        cn_ric.validate(ric18("110105", birth), today=datetime.date(2200, 1, 1))


def test_leap_day_on_leap_years_accepted() -> None:
    for birth in ("20000229", "19960229"):
        assert cn_ric.is_valid(ric18("110105", birth))


def test_future_and_pre_1900_birth_dates_rejected() -> None:
    today = datetime.date(2024, 6, 1)
    assert cn_ric.is_valid(ric18("110105", "20240601"), today=today)
    with pytest.raises(InvalidComponent):
        cn_ric.validate(ric18("110105", "20240602"), today=today)
    with pytest.raises(InvalidComponent):
        cn_ric.validate(ric18("110105", "18991231"), today=today)
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)
    assert not cn_ric.is_valid(ric18("110105", tomorrow.strftime("%Y%m%d")))


def test_checksum_error_and_compaction() -> None:
    assert cn_ric.validate("１１０１０５ １９４９-１２３１ ００２ｘ") == "11010519491231002X"
    with pytest.raises(InvalidChecksum):
        cn_ric.validate("110105194912310021")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=20))
def test_guarded_stdnum_never_raises(text: str) -> None:
    assert isinstance(cn_ric.stdnum_is_valid(text), bool)
    assert isinstance(cn_ric.is_valid(text), bool)


@settings(max_examples=100, deadline=None)
@given(
    st.dates(datetime.date(1900, 1, 1), datetime.date(2020, 12, 31)),
    st.integers(0, 999),
    st.integers(0, 16),
    st.integers(1, 9),
)
def test_every_single_digit_substitution_is_caught(
    birth: datetime.date, seq: int, position: int, delta: int
) -> None:
    number = ric18("310104", birth.strftime("%Y%m%d"), f"{seq:03d}")
    assert cn_ric.is_valid(number)
    changed = str((int(number[position]) + delta) % 10)
    mutated = number[:position] + changed + number[position + 1 :]
    # MOD 11-2 catches every single substitution; a date made impossible fails too.
    assert not cn_ric.is_valid(mutated)


def test_errors_do_not_echo_the_value() -> None:
    number = "110105194912310021"
    with pytest.raises(ValueError) as info:
        cn_ric.validate(number)
    assert number not in str(info.value)


# --- check-digit identifiers ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("module", "good", "bad"),
    [
        (vin, ["1M8GDM9AXKP042788", "LFV2A21K3A3036582", "1HGCM82633A004352"],
         ["1M8GDM9A1KP042788", "WP0ZZZ99ZTS392124", "1M8GDM9AXKP04278", "1M8GDM9AXKP04278O"]),
        (imei, ["352099001761481", "35-209900-176148-1", "490154203237518"],
         ["352099001761482", "35209900176148", "3520990017614810"]),
        (bank_card, ["6222021001123456789", "4380880012345671", "6228 4800 1234 5678 903"],
         ["6222021001123456788", "622202100112345", "62220210011234567890"]),
        (hk_id, ["A123456(3)", "G123456(A)", "AB987654(3)", "Z683365A"],
         ["A123456(4)", "A12345(3)", "1A23456(3)", "ABC123456(3)"]),
        (tw_id, ["A123456789", "F131104093"],
         ["A123456788", "A323456789", "1123456789", "A12345678"]),
    ],
)  # fmt: skip
def test_check_digit_identifiers(module: object, good: list[str], bad: list[str]) -> None:
    for number in good:
        assert module.is_valid(number), number  # type: ignore[attr-defined]
    for number in bad:
        assert not module.is_valid(number), number  # type: ignore[attr-defined]
        with pytest.raises(ValueError):
            module.validate(number)  # type: ignore[attr-defined]


def test_unionpay_flag() -> None:
    assert bank_card.is_unionpay("6222 0210 0112 3456 789")
    assert not bank_card.is_unionpay("4380880012345671")


def test_vin_letters_transliterated_against_known_check() -> None:
    # Wikipedia's worked example: check character X from transliterated letters.
    assert vin.calc_check_digit("1M8GDM9A0KP042788") == "X"


# --- format-only identifiers -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("module", "good", "bad"),
    [
        (cn_passport, ["E83226611", "EA1234567", "G12345678"],
         ["E1234567", "EI1234567", "D12345678", "E123456789"]),
        (cn_hmt_permit, ["H12345678", "M1234567890", "01234567", "H 1234 5678"],
         ["H1234567", "X12345678", "H123456789", "1234567"]),
        (cn_mobile, ["13800138000", "+86 138 0013 8000", "008613800138000", "19912345678"],
         ["12800138000", "1380013800", "138001380001", "23800138000"]),
        (cn_plate, ["京A12345", "京A·12345", "沪AD12345", "粤B12345F", "粤Z1234港", "京A1234警",
                    "使224001", "川AFA1234"],
         ["京I12345", "京A1234", "港A12345", "京A123456", "京AX12345", "京A12345D6", "A12345"]),
    ],
)  # fmt: skip
def test_format_only_identifiers(module: object, good: list[str], bad: list[str]) -> None:
    for number in good:
        assert module.is_valid(number), number  # type: ignore[attr-defined]
    for number in bad:
        assert not module.is_valid(number), number  # type: ignore[attr-defined]


def test_hmt_permit_types() -> None:
    assert cn_hmt_permit.permit_type("H12345678") == "HK"
    assert cn_hmt_permit.permit_type("M12345678") == "MO"
    assert cn_hmt_permit.permit_type("87654321") == "TW"


def test_mobile_segments() -> None:
    assert cn_mobile.segment_known("13800138000")
    assert not cn_mobile.segment_known("15400138000")  # 154 was never allocated
    assert not cn_mobile.segment_known("14000138000")  # IoT data-only segment
