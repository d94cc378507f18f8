"""Vectorised validators for mainland-China identifiers; registered in ``fenji.detect.validators``.

Each takes a String series of compacted candidates and returns Float64 confidences (0 = invalid).
Per-value reference implementations are the ``fenji.ids`` modules; tests check they agree.
"""

from __future__ import annotations

import datetime
from functools import cache, partial

import numpy as np
import polars as pl

from fenji.detect.validators_core import (
    ALNUM,
    DIGITS_X,
    Block,
    BoolArray,
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
    in_table,
    number,
    plausible_dates,
    rows_of_width,
    scored,
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

_RIC_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_USCC = alphabet(_uscc_id.ALPHABET)
_USCC_WEIGHTS = np.array(
    [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28], dtype=np.int64
)
_ORG_WEIGHTS = np.array(_uscc_id.ORG_WEIGHTS, dtype=np.int64)


@cache
def _regions() -> BoolArray:
    return code_table((int(c) for c in _ric_id.known_regions()), 1_000_000)


@cache
def _provinces() -> BoolArray:
    return code_table((int(p) for p in _ric_id.known_provinces()), 100)


@cache
def _segments() -> BoolArray:
    return code_table((int(s) for s in _mobile.known_segments()), 1000)


def _region_scores(values: IntArray, known: float, province: float, unknown: float) -> FloatArray:
    code = number(values[:6])
    return np.where(
        in_table(_regions(), code),
        known,
        np.where(in_table(_provinces(), code // 10000), province, unknown),
    )


def _ric18_block(block: Block, today: datetime.date | None) -> tuple[FloatArray, IntArray]:
    """Scores and YYYYMMDD birth dates of 18-character candidates."""
    v = digits(block[:17])
    check = DIGITS_X[block[17]]
    ok = all_digits(v) & (check >= 0)
    ok &= (12 - weighted(_RIC_WEIGHTS, v) % 11) % 11 == check  # ISO 7064 MOD 11-2
    year, month, day = number(v[6:10]), number(v[10:12]), number(v[12:14])
    ok &= plausible_dates(year, month, day, today)
    regions = _region_scores(v, RIC18_REGION_KNOWN, RIC18_PROVINCE_KNOWN, RIC18_PROVINCE_UNKNOWN)
    return np.where(ok, regions, 0.0), year * 10000 + month * 100 + day


def _ric15_block(block: Block, today: datetime.date | None) -> tuple[FloatArray, IntArray]:
    """Scores and YYYYMMDD birth dates of 15-character legacy candidates (no check digit)."""
    v = digits(block)
    ok = all_digits(v)
    year, month, day = 1900 + number(v[6:8]), number(v[8:10]), number(v[10:12])
    ok &= plausible_dates(year, month, day, today)
    regions = _region_scores(v, RIC15_REGION_KNOWN, RIC15_PROVINCE_KNOWN, 0.0)
    return np.where(ok, regions, 0.0), year * 10000 + month * 100 + day


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
    v = _USCC[block]
    ok = (v >= 0).all(axis=0) & (v[2:8] <= 9).all(axis=0)
    ok &= (31 - weighted(_USCC_WEIGHTS, v[:17]) % 31) % 31 == v[17]
    # GB 11714 organisation code in positions 9-17: weights over 8 characters, check 10 = X.
    org_check = (11 - weighted(_ORG_WEIGHTS, ALNUM[block[8:16]]) % 11) % 11
    org_ok = org_check == DIGITS_X[block[16]]
    return np.where(ok, np.where(org_ok, USCC_WITH_ORG_CODE, USCC_ONLY), 0.0)


def cn_uscc(values: pl.Series) -> pl.Series:
    """Unified Social Credit Code (GB 32100): letters allowed in positions 1-2, digits in 3-8."""
    values = as_text(values)
    return scored(values, fixed_width_scores(values, byte_lengths(values), 18, _uscc_block))


def _mobile_block(block: Block) -> FloatArray:
    v = digits(block)
    ok = all_digits(v) & (v[0] == 1) & (v[1] >= 3)
    known = in_table(_segments(), number(v[:3]))
    return np.where(ok, np.where(known, MOBILE_SEGMENT_KNOWN, MOBILE_SEGMENT_UNKNOWN), 0.0)


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
