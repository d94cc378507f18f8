"""Property tests: each vectorised validator agrees, value by value, with a per-value oracle.

Oracles are python-stdnum where it has the identifier (``stdnum.cn.ric``, ``stdnum.luhn``,
``stdnum.cn.uscc`` check character) and the ``fenji.ids`` modules elsewhere. Inputs mix generated
valid numbers (a body plus its computed check character), their mutations, random strings over the
identifier's alphabet, other identifiers' numbers and nulls, all in one series per example.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum import luhn as stdnum_luhn
from stdnum.cn import ric as stdnum_ric
from stdnum.cn import uscc as stdnum_uscc

from fenji.detect import validators_cn as cn
from fenji.detect.validators import BANK_CARD_OTHER, BANK_CARD_UNIONPAY, VALIDATORS
from fenji.ids import (
    bank_card,
    cn_hmt_permit,
    cn_mobile,
    cn_passport,
    cn_plate,
    cn_ric,
    cn_uscc,
    hk_id,
    imei,
    tw_id,
    vin,
)

TODAY = datetime.date.today()
ASCII_ALNUM = re.compile(r"[0-9A-Za-z]*")
DIGITS = "0123456789"
UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


# --- oracles (per value) ----------------------------------------------------------------------


def _region_tier(v: str, known: float, province: float, unknown: float) -> float:
    if cn_ric.region_known(v):
        return known
    return province if cn_ric.province_known(v) else unknown


def _date_ok(year: int, month: int, day: int) -> bool:
    try:
        return datetime.date(1900, 1, 1) <= datetime.date(year, month, day) <= TODAY
    except ValueError:
        return False


def oracle_ric18(v: str) -> float:
    if not re.fullmatch(r"[0-9]{17}[0-9Xx]", v):
        return 0.0
    if stdnum_ric.calc_check_digit(v) != v[-1].upper():
        return 0.0
    if not _date_ok(int(v[6:10]), int(v[10:12]), int(v[12:14])):
        return 0.0
    return _region_tier(
        v, cn.RIC18_REGION_KNOWN, cn.RIC18_PROVINCE_KNOWN, cn.RIC18_PROVINCE_UNKNOWN
    )


def oracle_ric15(v: str) -> float:
    if not re.fullmatch(r"[0-9]{15}", v):
        return 0.0
    if not _date_ok(1900 + int(v[6:8]), int(v[8:10]), int(v[10:12])):
        return 0.0
    return _region_tier(v, cn.RIC15_REGION_KNOWN, cn.RIC15_PROVINCE_KNOWN, 0.0)


def oracle_ric(v: str) -> float:
    return oracle_ric18(v) if len(v) == 18 else oracle_ric15(v)


def _ascii(check: Callable[[str], bool]) -> Callable[[str], bool]:
    # The validators take compacted ASCII candidates; the ids modules would also fold/strip.
    return lambda v: bool(ASCII_ALNUM.fullmatch(v)) and check(v)


def oracle_uscc(v: str) -> float:
    if not _ascii(cn_uscc.is_valid)(v):
        return 0.0
    if v[:8].isdigit():  # where stdnum's stricter format applies, it must agree
        assert stdnum_uscc.is_valid(v)
    return cn.USCC_WITH_ORG_CODE if cn_uscc.org_code_valid(v) else cn.USCC_ONLY


def oracle_luhn(v: str) -> float:
    ok = re.fullmatch(r"[0-9]{2,32}", v) is not None and stdnum_luhn.is_valid(v)
    return float(ok)


def oracle_bank_card(v: str) -> float:
    if not _ascii(bank_card.is_valid)(v):
        return 0.0
    return BANK_CARD_UNIONPAY if v.startswith("62") else BANK_CARD_OTHER


def oracle_mobile(v: str) -> float:
    if len(v) != 11 or not _ascii(cn_mobile.is_valid)(v):
        return 0.0
    return cn.MOBILE_SEGMENT_KNOWN if cn_mobile.segment_known(v) else cn.MOBILE_SEGMENT_UNKNOWN


def oracle_hmt(v: str) -> float:
    if not _ascii(cn_hmt_permit.is_valid)(v):
        return 0.0
    return cn.TW_PERMIT_FORMAT if v.isdigit() else cn.HK_MO_PERMIT_FORMAT


def oracle_plate(v: str) -> float:
    plain = re.fullmatch(r"[0-9A-Za-z\u4e00-\u9fff]*", v) is not None
    return cn.PLATE_FORMAT if plain and cn_plate.is_valid(v) else 0.0


ORACLES: dict[str, Callable[[str], float]] = {
    "cn_ric18": oracle_ric18,
    "cn_ric15": oracle_ric15,
    "cn_ric": oracle_ric,
    "cn_uscc": oracle_uscc,
    "luhn": oracle_luhn,
    "bank_card": oracle_bank_card,
    "imei": lambda v: float(_ascii(imei.is_valid)(v)),
    "vin": lambda v: float(_ascii(vin.is_valid)(v)),
    "hk_id": lambda v: float(_ascii(hk_id.is_valid)(v)),
    "tw_id": lambda v: float(_ascii(tw_id.is_valid)(v)),
    "cn_mobile": oracle_mobile,
    "cn_passport": lambda v: cn.PASSPORT_FORMAT * _ascii(cn_passport.is_valid)(v),
    "cn_hmt_permit": oracle_hmt,
    "cn_plate": oracle_plate,
}


# --- generators of valid numbers --------------------------------------------------------------


def chars(alphabet: str, n: int) -> st.SearchStrategy[str]:
    return st.text(alphabet, min_size=n, max_size=n)


REGIONS = sorted(cn_ric.known_regions())
known_province = st.one_of(st.sampled_from(REGIONS), st.just("110199"))
region = st.one_of(known_province, chars(DIGITS, 6))
birth = st.dates(datetime.date(1900, 1, 1), TODAY)


@st.composite
def ric18_valid(draw: st.DrawFn) -> str:
    body = draw(region) + draw(birth).strftime("%Y%m%d") + draw(chars(DIGITS, 3))
    return body + stdnum_ric.calc_check_digit(body + "0")


@st.composite
def ric15_valid(draw: st.DrawFn) -> str:
    born = draw(st.dates(datetime.date(1900, 1, 1), datetime.date(1999, 12, 31)))
    # Known provinces only: an unknown one is rightly 0 without a check digit (mutations cover it).
    return draw(known_province) + born.strftime("%y%m%d") + draw(chars(DIGITS, 3))


@st.composite
def uscc_valid(draw: st.DrawFn) -> str:
    org = draw(chars(cn_uscc.ALPHABET, 8))
    if draw(st.booleans()):
        org += cn_uscc.calc_org_check_digit(org)
    else:
        org += draw(chars(DIGITS, 1))
    first17 = draw(chars(cn_uscc.ALPHABET, 2)) + draw(chars(DIGITS, 6)) + org
    return first17 + stdnum_uscc.calc_check_digit(first17)


def luhn_valid(lengths: tuple[int, int], prefix: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    @st.composite
    def build(draw: st.DrawFn) -> str:
        head = draw(prefix)
        body = head + draw(chars(DIGITS, draw(st.integers(*lengths)) - 1 - len(head)))
        return body + stdnum_luhn.calc_check_digit(body)

    return build()


VIN_CHARS = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"


@st.composite
def vin_valid(draw: st.DrawFn) -> str:
    v = draw(chars(VIN_CHARS, 8)) + "0" + draw(chars(VIN_CHARS, 8))
    return v[:8] + vin.calc_check_digit(v) + v[9:]


@st.composite
def hk_valid(draw: st.DrawFn) -> str:
    body = draw(chars(UPPER, draw(st.integers(1, 2)))) + draw(chars(DIGITS, 6))
    return body + hk_id.calc_check_digit(body)


@st.composite
def tw_valid(draw: st.DrawFn) -> str:
    body = draw(chars(UPPER, 1)) + draw(st.sampled_from("12")) + draw(chars(DIGITS, 7))
    return body + tw_id.calc_check_digit(body)


def regex(pattern: str) -> st.SearchStrategy[str]:
    return st.from_regex(re.compile(pattern), fullmatch=True)


HK_MO = cn_hmt_permit.HK_MO_PATTERN
VALID: dict[str, tuple[st.SearchStrategy[str], str]] = {
    # name -> (valid numbers, alphabet for random and mutated strings)
    "cn_ric18": (ric18_valid(), DIGITS + "Xx"),
    "cn_ric15": (ric15_valid(), DIGITS),
    "cn_ric": (st.one_of(ric18_valid(), ric15_valid()), DIGITS + "X"),
    "cn_uscc": (uscc_valid(), DIGITS + UPPER),
    "luhn": (luhn_valid((2, 32), st.just("")), DIGITS),
    "bank_card": (luhn_valid((16, 19), st.sampled_from(["62", "4", "5", "9558"])), DIGITS),
    "imei": (luhn_valid((15, 15), st.just("")), DIGITS),
    "vin": (vin_valid(), VIN_CHARS + "IOQ"),
    "hk_id": (hk_valid(), DIGITS + "ABCZ"),
    "tw_id": (tw_valid(), DIGITS + "AFIOWZ"),
    "cn_mobile": (regex(r"1[3-9][0-9]{9}"), DIGITS),
    "cn_passport": (regex(cn_passport.PATTERN), DIGITS + "EGAIO"),
    "cn_hmt_permit": (regex(f"(?:{HK_MO}|{cn_hmt_permit.TW_PATTERN})"), DIGITS + "HM"),
    "cn_plate": (regex(cn_plate.pattern()), DIGITS + "ADFIO京沪粤港警使"),
}  # fmt: skip
ANY_VALID = st.one_of(*(strategy for strategy, _ in VALID.values()))


@st.composite
def mutated(draw: st.DrawFn, number: str, alphabet: str) -> str:
    i = draw(st.integers(0, max(len(number) - 1, 0)))
    op = draw(st.sampled_from(["substitute", "swap", "delete", "insert", "lower"]))
    c = draw(st.sampled_from(alphabet))
    if op == "substitute":
        return number[:i] + c + number[i + 1 :]
    if op == "swap" and i + 1 < len(number):
        return number[:i] + number[i + 1] + number[i] + number[i + 2 :]
    if op == "delete":
        return number[:i] + number[i + 1 :]
    if op == "insert":
        return number[:i] + c + number[i:]
    return number.lower()


def candidates(name: str) -> st.SearchStrategy[list[str | None]]:
    valid, alphabet = VALID[name]
    one = st.one_of(
        valid,
        valid,
        valid.flatmap(lambda n: mutated(n, alphabet)),
        st.text(alphabet, min_size=1, max_size=20),
        ANY_VALID,
        st.text(max_size=20),
        st.none(),
    )
    return st.lists(one, max_size=40)


@pytest.mark.parametrize("name", sorted(VALID))
def test_validator_agrees_with_per_value_oracle(name: str) -> None:
    validator, oracle = VALIDATORS[name], ORACLES[name]

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(candidates(name))
    def check(values: list[str | None]) -> None:
        got = validator(pl.Series("c", values, dtype=pl.String)).to_list()
        expected = [0.0 if v is None else oracle(v) for v in values]
        assert got == pytest.approx(expected)

    check()


def test_generators_produce_valid_numbers() -> None:
    """Guard against vacuous properties: most generated 'valid' numbers score above 0."""

    @settings(max_examples=30, deadline=None)
    @given(st.data())
    def check(data: st.DataObject) -> None:
        for name, (strategy, _) in VALID.items():
            number = data.draw(strategy)
            assert VALIDATORS[name](pl.Series([number])).item() > 0, name

    check()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(ric18_valid(), ric15_valid(), st.text(DIGITS + "X", max_size=19))))
def test_birth_dates_agree_with_ids_module(values: list[str]) -> None:
    got = cn.birth_dates(pl.Series(values, dtype=pl.String)).to_list()
    for value, born in zip(values, got, strict=True):
        if oracle_ric(value) > 0:
            assert born == cn_ric.get_birth_date(value)
        else:
            assert born is None
