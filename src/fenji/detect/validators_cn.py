"""Vectorised validators for mainland-China identifiers; registered in ``fenji.detect.validators``.

Each takes a String series of compacted candidates and returns Float64 confidences (0 = invalid).
Per-value reference implementations are the ``fenji.ids`` modules; tests check they agree.
"""

from __future__ import annotations

import datetime
from functools import cache, partial

import numpy as np
import numpy.typing as npt
import polars as pl

from fenji.detect.validators_core import (
    DIGITS_X,
    Block,
    BoolArray,
    Digits,
    FloatArray,
    IntArray,
    all_digits,
    alphabet,
    as_text,
    blockwise,
    byte_columns,
    byte_lengths,
    code_table,
    digits,
    fixed_width_scores,
    mod,
    number,
    pick,
    plausible_dates,
    rows_of_width,
    scored,
    tier,
    weighted,
)
from fenji.ids import cn_hmt_permit as _hmt
from fenji.ids import cn_mobile as _mobile
from fenji.ids import cn_passport as _passport
from fenji.ids import cn_plate as _plate
from fenji.ids import cn_ric as _ric_id
from fenji.ids import cn_uscc as _uscc_id

# Resident ID confidences: checksum and date decide validity, the region code only the score.
RIC18_REGION_KNOWN = 1.0
RIC18_PROVINCE_KNOWN = 0.85  # county code not in the GB/T 2260 table
RIC18_PROVINCE_UNKNOWN = 0.7
# The 15-digit form has no check digit: only date and region support it.
RIC15_REGION_KNOWN = 0.8
RIC15_PROVINCE_KNOWN = 0.5
USCC_WITH_ORG_CODE = 1.0  # GB 32100 check and the embedded GB 11714 check both hold
USCC_ONLY = 0.9
MOBILE_SEGMENT_KNOWN = 0.9  # no check digit exists: a format match is never certain
MOBILE_SEGMENT_UNKNOWN = 0.5
# Format-only identifiers (no check character exists).
PASSPORT_FORMAT = 0.6
HK_MO_PERMIT_FORMAT = 0.6
TW_PERMIT_FORMAT = 0.3  # any 8-digit number matches
PLATE_FORMAT = 0.8

_RIC_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int16)
_RIC18_SCORES = (0.0, RIC18_PROVINCE_UNKNOWN, RIC18_PROVINCE_KNOWN, RIC18_REGION_KNOWN)
_RIC15_SCORES = (0.0, 0.0, RIC15_PROVINCE_KNOWN, RIC15_REGION_KNOWN)
_USCC = alphabet(_uscc_id.ALPHABET)
_USCC_WEIGHTS = np.array(
    [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28], dtype=np.int16
)
_ORG_WEIGHTS = np.array(_uscc_id.ORG_WEIGHTS, dtype=np.int16)
_USCC_SCORES = (0.0, USCC_ONLY, USCC_WITH_ORG_CODE)
_MOBILE_SCORES = (0.0, MOBILE_SEGMENT_UNKNOWN, MOBILE_SEGMENT_KNOWN)


@cache
def _regions() -> BoolArray:
    return code_table((int(c) for c in _ric_id.known_regions()), 1_000_000)


@cache
def _provinces() -> BoolArray:
    return code_table((int(p) for p in _ric_id.known_provinces()), 100)


@cache
def _region_tiers() -> npt.NDArray[np.uint8]:
    """Per six-digit region code: 3 = county known, 2 = only the province known, 1 = neither."""
    tiers = _provinces().repeat(10_000).astype(np.uint8) + 1
    tiers[_regions()] = 3
    return tiers


@cache
def _segments() -> BoolArray:
    return code_table((int(s) for s in _mobile.known_segments()), 1000)


def _ric_scores(v: Digits, ok: BoolArray, scores: tuple[float, ...]) -> FloatArray:
    """``scores[0]`` where not ``ok``, else ``scores[region tier]`` (see ``_region_tiers``)."""
    tier = _region_tiers().take(number(v[:6]), mode="clip")  # clip: garbage codes are masked
    return pick(scores, tier * ok)


def _plausible_ymd(ymd: IntArray, today: datetime.date | None) -> BoolArray:
    """``plausible_dates`` of YYYYMMDD integers (dividing beats three ``number`` calls)."""
    return plausible_dates(ymd // 10_000, mod(ymd // 100, 100), mod(ymd, 100), today)


def _ric18_block(block: Block, today: datetime.date | None) -> tuple[FloatArray, IntArray]:
    """Scores and YYYYMMDD birth dates of 18-character candidates."""
    v = digits(block[:17])
    check = DIGITS_X.take(block[17])
    ok = all_digits(v) & (check >= 0)
    ok &= mod(12 - mod(weighted(_RIC_WEIGHTS, v), 11), 11) == check  # ISO 7064 MOD 11-2
    ymd = number(v[6:14])
    ok &= _plausible_ymd(ymd, today)
    return _ric_scores(v, ok, _RIC18_SCORES), ymd


def _ric15_block(block: Block, today: datetime.date | None) -> tuple[FloatArray, IntArray]:
    """Scores and YYYYMMDD birth dates of 15-character legacy candidates (no check digit)."""
    v = digits(block)
    ok = all_digits(v)
    ymd = 19_000_000 + number(v[6:12])  # YYMMDD in the 1900s
    ok &= _plausible_ymd(ymd, today)
    return _ric_scores(v, ok, _RIC15_SCORES), ymd


_RIC_FORMS = ((18, _ric18_block), (15, _ric15_block))


def _ric(
    values: pl.Series, widths: tuple[int, ...], today: datetime.date | None
) -> list[tuple[IntArray, FloatArray, IntArray]]:
    """(rows, scores, YYYYMMDD) for each resident-ID form whose width is in ``widths``."""
    lengths = byte_lengths(values)
    out = []
    for width, check in _RIC_FORMS:
        if width in widths:
            rows = rows_of_width(lengths, width)
            parts = blockwise(byte_columns(values, rows, width), partial(check, today=today))
            out.append(
                (rows, np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))
            )
    return out


def cn_ric18(values: pl.Series, today: datetime.date | None = None) -> pl.Series:
    """18-character resident ID: checksum + birth date in 1900..today; region sets the score."""
    values = as_text(values)
    return scored(values, *((rows, sc) for rows, sc, _ in _ric(values, (18,), today)))


def cn_ric15(values: pl.Series, today: datetime.date | None = None) -> pl.Series:
    """15-digit legacy resident ID: birth date 1900..1999 plausible; known province required."""
    values = as_text(values)
    return scored(values, *((rows, sc) for rows, sc, _ in _ric(values, (15,), today)))


def cn_ric(values: pl.Series, today: datetime.date | None = None) -> pl.Series:
    """Resident ID in either form (18 or 15 characters)."""
    values = as_text(values)
    return scored(values, *((rows, sc) for rows, sc, _ in _ric(values, (18, 15), today)))


def birth_dates(ids: pl.Series, *, today: datetime.date | None = None) -> pl.Series:
    """Birth dates (Date) of valid 18- and 15-character resident IDs; null for anything else.

    Validity is ``cn_ric``'s: an 18-character ID needs its check digit, both need a plausible
    birth date (1900-01-01 .. today); an unknown region does not matter here.
    """
    values = as_text(ids)
    out = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[D]")
    for rows, row_scores, ymd in _ric(values, (18, 15), today):
        ok = row_scores > 0
        year, month, day = ymd[ok] // 10000, ymd[ok] // 100 % 100, ymd[ok] % 100
        months = (year - 1970) * 12 + (month - 1)
        out[rows[ok]] = months.astype("datetime64[M]").astype("datetime64[D]") + (day - 1)
    return pl.Series(ids.name, out, dtype=pl.Date)


def _uscc_block(block: Block) -> FloatArray:
    # Positions 3-8 are digits only: byte arithmetic instead of the (dearer) alphabet look-up.
    head, mid, tail = _USCC.take(block[:2]), digits(block[2:8]), _USCC.take(block[8:])
    ok = (head.min(axis=0) >= 0) & all_digits(mid) & (tail.min(axis=0) >= 0)
    total = (
        weighted(_USCC_WEIGHTS[:2], head)
        + weighted(_USCC_WEIGHTS[2:8], mid)
        + weighted(_USCC_WEIGHTS[8:], tail[:9])
    )
    ok &= mod(31 - mod(total, 31), 31) == tail[9]
    # GB 11714 organisation code in positions 9-17: weights over 8 characters, check 10 = X.
    # Values are A=10 ... Z=35: the USCC alphabet index plus the letters it skips (I, O, S, V).
    org = tail[:8]
    org = org + (org >= 18) + (org >= 23) + (org >= 26) + (org >= 28)
    org_check = mod(11 - mod(weighted(_ORG_WEIGHTS, org), 11), 11)
    org_ok = org_check == DIGITS_X.take(block[16])
    return pick(_USCC_SCORES, tier(ok, org_ok))


def cn_uscc(values: pl.Series) -> pl.Series:
    """Unified Social Credit Code (GB 32100): letters allowed in positions 1-2, digits in 3-8."""
    values = as_text(values)
    return scored(values, fixed_width_scores(values, byte_lengths(values), 18, _uscc_block))


def _mobile_block(block: Block) -> FloatArray:
    v = digits(block)
    ok = all_digits(v) & (v[0] == 1) & (v[1] >= 3)
    known = _segments().take(number(v[:3]), mode="clip")  # clip: garbage codes are masked
    return pick(_MOBILE_SCORES, tier(ok, known))


def cn_mobile(values: pl.Series) -> pl.Series:
    """Mainland mobile number, 11 digits ``1[3-9]...``; allocated segments score higher."""
    values = as_text(values)
    return scored(values, fixed_width_scores(values, byte_lengths(values), 11, _mobile_block))


def _format_score(values: pl.Series, pattern: str, score: float) -> pl.Series:
    """``score`` where the whole upper-cased value matches ``pattern`` (Rust regex), else 0."""
    text = as_text(values).str.to_uppercase()
    hit = text.str.contains(f"^{pattern}$").fill_null(False)
    return hit.cast(pl.Float64) * score


def cn_passport(values: pl.Series) -> pl.Series:
    """PRC ordinary passport, format only (E/G + 8 digits, E + letter + 7 digits)."""
    return _format_score(values, _passport.PATTERN, PASSPORT_FORMAT)


def cn_hmt_permit(values: pl.Series) -> pl.Series:
    """Mainland travel permit, format only: H/M + 8 or 10 digits; 8 digits (Taiwan) scores low."""
    hk_mo = _format_score(values, _hmt.HK_MO_PATTERN, HK_MO_PERMIT_FORMAT)
    tw = _format_score(values, _hmt.TW_PATTERN, TW_PERMIT_FORMAT)
    return hk_mo + tw  # the two patterns never both match


def cn_plate(values: pl.Series) -> pl.Series:
    """Licence plate, format only (province abbreviation + letter + 5/6 characters)."""
    return _format_score(values, _plate.pattern(), PLATE_FORMAT)
