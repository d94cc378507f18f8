"""Named, vectorised building blocks that recognizers.yaml refers to.

``PREPROCESS`` steps run on whole cells before matching, ``COMPACT`` steps turn a match into the
validator's input, and ``LOCAL_VALIDATORS`` hold the few checks that are not identifier check
digits (so they do not belong in ``fenji.detect.validators``): calendar dates and surnames.
All are Polars expressions or whole-Series functions; none loops over values in Python.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable, Mapping
from functools import cache, partial

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa

from fenji.detect.names import cn_surname
from fenji.detect.validators_core import (
    Block,
    BoolArray,
    all_digits,
    blockwise,
    byte_columns,
    byte_lengths,
    digits,
    number,
    plausible_dates,
    rows_of_width,
    utf8_buffers,
)

# Full-width ASCII (U+FF01..U+FF5E) and the ideographic space fold to their half-width forms,
# so "１３８ ００１３ ８０００" and "＋８６" match the same patterns as ASCII input.
FULL_WIDTH = [chr(c) for c in range(0xFF01, 0xFF5F)] + ["\u3000"]
HALF_WIDTH = [chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)] + [" "]

FULL_WIDTH_CLASS = "[\uff01-\uff5e\u3000]"

# Steps only fold, remove or change the case of characters (``literal_strip`` relies on it).
PREPROCESS: dict[str, Callable[[pl.Expr], pl.Expr]] = {
    "halfwidth": lambda e: e.str.replace_many(FULL_WIDTH, HALF_WIDTH),
    "trim": lambda e: e.str.strip_chars(),
    "upper": lambda e: e.str.to_uppercase(),
    "lower": lambda e: e.str.to_lowercase(),
}

_YMD = r"^((?:19|20)\d{2})\D{0,3}?(\d{1,2})\D{0,3}?(\d{1,2})"


def _ymd(e: pl.Expr) -> pl.Expr:
    """YYYYMMDD from 1990-3-7, 1990/03/07, 1990年3月7日, 19900307 (dates already matched)."""
    parts = e.str.extract_groups(_YMD)  # one regex pass for all three fields
    return pl.concat_str(
        [
            parts.struct.field("1"),
            parts.struct.field("2").str.zfill(2),
            parts.struct.field("3").str.zfill(2),
        ]
    )


COMPACT: dict[str, Callable[[pl.Expr], pl.Expr]] = {
    "alnum_upper": lambda e: e.str.replace_all(r"[^0-9A-Za-z]", "").str.to_uppercase(),
    "digits": lambda e: e.str.replace_all(r"\D", ""),
    # +86 / 0086 / 86 in front of an 11-digit mobile number is the country code, not the number.
    "phone_cn": lambda e: e.str.replace_all(r"\D", "").str.replace(
        r"^(?:0086|86)(1[3-9]\d{9})$", "${1}"
    ),
    "nosep_upper": lambda e: e.str.replace_all(r"[\s\-·•.()]", "").str.to_uppercase(),
    "lower": lambda e: e.str.strip_chars().str.to_lowercase(),
    "trim": lambda e: e.str.strip_chars(),
    "ymd": _ymd,
}


def date_past(values: pl.Series, today: datetime.date | None = None) -> pl.Series:
    """Validator: 1.0 where YYYYMMDD is a real calendar date in 1900-01-01 .. today.

    Eight ASCII digits (what ``ymd`` compaction gives) are checked over a byte matrix; any other
    value goes through Polars' date parser.
    """
    end = today or datetime.date.today()
    text = values.cast(pl.String)
    lengths = byte_lengths(text)
    rows = rows_of_width(lengths, 8)
    checked = np.concatenate(
        blockwise(byte_columns(text, rows, 8), partial(_calendar_dates, end=end)), axis=1
    )
    out = np.zeros(len(text))
    out[rows] = checked[1]
    other = lengths >= 0  # not null
    other[rows[checked[0]]] = False
    if other.any():
        rest = np.flatnonzero(other)
        dates = text.gather(rest).str.to_date("%Y%m%d", strict=False)
        out[rest] = dates.is_between(datetime.date(1900, 1, 1), end).fill_null(False).to_numpy()
    return pl.Series(values.name, out, dtype=pl.Float64)


def _calendar_dates(cols: Block, end: datetime.date) -> BoolArray:
    """Per candidate: (all digits, a date in range)."""
    d = digits(cols)
    plain = all_digits(d)
    dates = plausible_dates(number(d[:4]), number(d[4:6]), number(d[6:]), end)
    return np.stack([plain, plain & dates])


LOCAL_VALIDATORS: dict[str, Callable[[pl.Series], pl.Series]] = {
    "date_past": date_past,
    "cn_surname": cn_surname,
}


def as_text(values: pl.Series) -> pl.Series:
    """Any column as Utf8 for matching: integral floats lose their ``.0``; binary and nested
    values become null (they are judged by column name only)."""
    dtype = values.dtype
    if dtype == pl.String:
        return values
    if dtype.is_float():
        whole = values.is_finite() & (values == values.round(0)) & (values.abs() < 2**62)
        ints = values.cast(pl.Int64, strict=False).cast(pl.String)
        return (
            pl.select(pl.when(whole).then(ints).otherwise(values.cast(pl.String)))
            .to_series()
            .alias(values.name)
        )
    if dtype.is_nested() or dtype in (pl.Binary, pl.Object, pl.Null):
        return pl.Series(values.name, [None] * len(values), dtype=pl.String)
    return values.cast(pl.String, strict=False)


# --- shortcuts ----------------------------------------------------------------------------------
# Most identifier columns have no full-width characters, separators or lower case: the steps
# that would change nothing are skipped, and the others rewrite only the cells they change.


def full_width(data: npt.NDArray[np.uint8]) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.uint8]]:
    """Where UTF-8 bytes ``data`` hold a character that ``halfwidth`` folds (U+FF01..U+FF5E:
    EF BC 81..EF BD 9E; U+3000: E3 80 80), and the ASCII byte each folds to."""
    lead = np.flatnonzero(data[:-2] == 0xEF)
    second, third = data[lead + 1], data[lead + 2]
    low = (second == 0xBC) & (third >= 0x81)
    high = (second == 0xBD) & (third <= 0x9E)
    ideo = np.flatnonzero(data[:-2] == 0xE3)
    space = ideo[(data[ideo + 1] == 0x80) & (data[ideo + 2] == 0x80)]
    at = np.concatenate([lead[low], lead[high], space])
    ascii_ = np.concatenate([third[low] - 0x60, third[high] - 0x20, np.full(space.size, 0x20)])
    return at, ascii_.astype(np.uint8)


# A cell_strip regex that is one character class, as all shipped ones are, over ASCII text is
# a few literal characters at most: removing those that occur costs less than the regex.
_ONE_CLASS = re.compile(r"\\[sS]|\[(?:[^\\\[\]]|\\.)+\]")
_MAX_LITERALS = 2


@cache
def _class_ascii(regex: str) -> tuple[str, ...] | None:
    """The ASCII characters a one-character-class ``regex`` matches (None: not one class)."""
    if not _ONE_CLASS.fullmatch(regex):
        return None
    ascii_chars = pl.Series([chr(i) for i in range(128)], dtype=pl.String)
    return tuple(ascii_chars.filter(ascii_chars.str.contains(regex)).to_list())


def strip_bytes(regexes: Iterable[str]) -> set[int]:
    """The ASCII bytes ``literal_strip`` asks about for these ``cell_strip`` regexes: their
    one-class members, in both cases (preprocessing may change case)."""
    out: set[int] = set()
    for regex in regexes:
        for c in _class_ascii(regex) or ():
            out |= {ord(c), ord(c.swapcase()[0])}
    return out


def literal_strip(occurs: Mapping[int, bool], regex: str) -> tuple[str, ...] | None:
    """What the ``cell_strip`` ``regex`` can remove from ASCII text (after any preprocessing),
    as literal characters (none: nothing to strip), given which ``strip_bytes`` ``occur`` in
    the text; None when that cannot be told (not one class, or more than a couple occur)."""
    members = _class_ascii(regex)
    if members is None:
        return None
    found = tuple(c for c in members if occurs[ord(c)] or occurs[ord(c.swapcase()[0])])
    return found if len(found) <= _MAX_LITERALS else None


# The cells a COMPACT step may change (a superset): the others are passed through untouched.
# (Not for trim and lower: Polars strips and lower-cases a column faster than it can find the
# cells that need it.)
COMPACT_CHANGES: dict[str, str] = {
    "alnum_upper": r"[^0-9A-Z]",
    "digits": r"[^0-9]",
    "phone_cn": r"[^0-9]|^(?:0086|86)1[3-9][0-9]{9}$",
}
_YMD_BYTES = np.array([0, 1, 2, 3, 5, 6, 8, 9])  # YYYY?MM?DD -> YYYYMMDD


def _ymd_fixed(values: pl.Series) -> pl.Series:
    """``ymd`` of cells that are exactly ``YYYY?MM?DD`` in ASCII: eight of their ten bytes."""
    n = len(values)
    picked = np.ascontiguousarray(byte_columns(values, np.arange(n), 10)[_YMD_BYTES].T)
    offsets = np.arange(0, 8 * n + 1, 8, dtype=np.int64)
    array = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(picked))
    return pl.Series(values.name, array, dtype=pl.String)


# Bytes that a COMPACT_CHANGES step may rewrite, as a test over a uint8 array (it wraps below 0).
_REWRITTEN: dict[str, Callable[[npt.NDArray[np.uint8]], npt.NDArray[np.bool_]]] = {
    "digits": lambda b: (b - np.uint8(48)) > 9,
    "alnum_upper": lambda b: ((b - np.uint8(48)) > 9) & ((b - np.uint8(65)) > 25),
    "phone_cn": lambda b: (b - np.uint8(48)) > 9,
}


def may_change(values: pl.Series, step: str) -> npt.NDArray[np.bool_] | None:
    """A superset of the cells ``COMPACT_CHANGES[step]`` finds, from the bytes: cells holding a
    byte the step rewrites (and for ``phone_cn`` digit strings of 13 or 15, which may carry a
    country code). None when the bytes cannot tell cheaply (many such bytes): use the regex."""
    if step not in _REWRITTEN:
        return None
    data, offsets = utf8_buffers(values)
    at = np.flatnonzero(_REWRITTEN[step](data))
    if at.size > len(values):
        return None
    out = np.zeros(len(values), dtype=np.bool_)
    out[np.searchsorted(offsets, at, side="right") - 1] = True
    if step == "phone_cn":
        lengths = np.diff(offsets)
        out |= (lengths == 13) | (lengths == 15)
    return out


# Cells of one common fixed form and a cheaper function giving the step's result for them.
COMPACT_FAST: dict[str, tuple[str, Callable[[pl.Series], pl.Series]]] = {
    "ymd": (r"^(?:19|20)[0-9]{2}[-/.][0-9]{2}[-/.][0-9]{2}$", _ymd_fixed),  # 1990-03-07
}
