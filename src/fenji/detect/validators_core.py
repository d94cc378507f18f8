"""Vectorised building blocks for check-digit validators (see ``fenji.detect.validators``).

Candidates of one fixed width are taken straight from the Arrow buffer as a ``uint8`` matrix and
transposed to *columns*: ``cols[i]`` holds character ``i`` of every candidate. Column-major data
keeps every numpy operation a long contiguous loop (short-row reductions and integer ``@`` were
3-6x slower here), weighted sums use ``einsum`` (BLAS-free), and work runs over blocks of
``BLOCK_ROWS`` candidates so temporaries stay cache-sized. No per-value Python anywhere.

Data stays narrow, since every pass streams whole matrices: ``digits`` are ``uint8`` (a non-digit
wraps to 10..255), lookup tables ``int8`` (-1 = not in the table), ``weighted`` sums ``int16`` or
``int32`` (sized so that no *valid* candidate can overflow), and scores come from small tier
numbers via ``pick`` rather than chains of float ``np.where``. Values computed from a non-digit or
unknown character are garbage (they may wrap or clip) that the caller's validity mask must hide.
``mod`` divides instead of using ``%``: numpy vectorises division by a constant, not ``%``.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa

IntArray = npt.NDArray[np.integer[Any]]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
Lut = npt.NDArray[np.integer[Any]]  # 256 entries indexed by byte
Digits = npt.NDArray[np.uint8]  # digit values by position; a non-digit is 10..255
Block = npt.NDArray[np.uint8]  # (width, k): one row per character position
T = TypeVar("T")
Buffers = tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]  # UTF-8 bytes, offsets from 0

# 16k candidates keep each temporary at a few hundred KB: cache-resident, and small enough that
# numpy's allocations reuse heap memory instead of page-faulting fresh memory in on every call.
BLOCK_ROWS = 16_384
EARLIEST_BIRTH = 19000101
# Days per month number 0..99 (0 = no such month; any larger month clips to 99) and leap years
# 0..9999 (other years never pass the 1900..today range check).
_MONTH_DAYS = np.zeros(100, dtype=np.int8)
_MONTH_DAYS[1:13] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
_LEAP_YEARS = np.array([calendar.isleap(year) for year in range(10_000)])
_POWERS_OF_TEN = 10 ** np.arange(8, -1, -1, dtype=np.int32)  # place values of up to 9 digits


def lookup(mapping: Mapping[str, int]) -> Lut:
    """256-entry byte -> value table, -1 for bytes not in ``mapping``; lower case maps as upper.

    The table is ``int8`` when every value fits (then look-ups stay one byte per character).
    """
    table = np.full(256, -1, dtype=np.int64)
    for char, value in mapping.items():
        table[ord(char)] = value
        table[ord(char.lower())] = value
    small = table.astype(np.int8)
    return small if np.array_equal(small, table) else table


def alphabet(chars: str) -> Lut:
    """Lookup table giving each character its index in ``chars``."""
    return lookup({c: i for i, c in enumerate(chars)})


DIGITS_X = lookup({**{str(d): d for d in range(10)}, "X": 10})  # mod 11 checks: X stands for 10
# Digits as themselves, letters A=10 ... Z=35 (HK ID, GB 11714 organisation codes).
ALNUM = lookup({**{str(d): d for d in range(10)}, **{chr(65 + i): 10 + i for i in range(26)}})


def as_text(values: pl.Series) -> pl.Series:
    """The candidates as a String series (numeric columns, e.g. card numbers, are cast)."""
    return values if values.dtype == pl.String else values.cast(pl.String)


def byte_lengths(values: pl.Series) -> IntArray:
    """UTF-8 byte length of each value; -1 for nulls (without nulls: ``uint32``, zero-copy)."""
    lengths = values.str.len_bytes()
    if lengths.null_count():
        lengths = lengths.fill_null(-1).cast(pl.Int64)
    return lengths.to_numpy()


def rows_of_width(lengths: IntArray, width: int) -> IntArray:
    """Row indices of the values exactly ``width`` bytes long."""
    return np.flatnonzero(lengths == width)


def utf8_buffers(values: pl.Series) -> Buffers:
    """(UTF-8 bytes, offsets from 0) of a String series, zero-copy where Arrow allows."""
    arr = values.to_arrow()
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.type != pa.large_string():
        arr = arr.cast(pa.large_string())
    start = arr.offset
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[start : start + len(arr) + 1]
    buffer = arr.buffers()[2]
    if buffer is None or len(offsets) < 2 or offsets[-1] == offsets[0]:
        return np.zeros(0, dtype=np.uint8), offsets - offsets[0]
    data = np.frombuffer(buffer, dtype=np.uint8)[offsets[0] : offsets[-1]]
    return data, offsets - offsets[0]


def byte_columns(values: pl.Series, rows: IntArray, width: int) -> Block:
    """``(width, len(rows))`` bytes of ``values[rows]`` (all exactly ``width`` bytes long)."""
    if rows.size == 0:
        return np.empty((width, 0), dtype=np.uint8)
    picked = values if rows.size == len(values) else values.gather(rows)
    # Equal widths make the selected bytes one contiguous block between the first and last offset.
    data, _ = utf8_buffers(picked)
    return np.ascontiguousarray(data.reshape(len(picked), width).T)


def blockwise(cols: Block, check: Callable[[Block], T]) -> list[T]:
    """``check`` applied to blocks of at most ``BLOCK_ROWS`` candidates (called at least once)."""
    n = cols.shape[1]
    return [check(cols[:, i : i + BLOCK_ROWS]) for i in range(0, max(n, 1), BLOCK_ROWS)]


def fixed_width_scores(
    values: pl.Series, lengths: IntArray, width: int, check: Callable[[Block], FloatArray]
) -> tuple[IntArray, FloatArray]:
    """Rows of ``width`` bytes and their scores from ``check`` (run block by block)."""
    rows = rows_of_width(lengths, width)
    return rows, np.concatenate(blockwise(byte_columns(values, rows, width), check))


def digits(cols: Block) -> Digits:
    """Digit values of byte columns; any non-digit wraps to 10..255 (see ``all_digits``)."""
    return cols - np.uint8(48)


def all_digits(values: Digits) -> BoolArray:
    """Per candidate: every position of a ``digits`` matrix is 0..9."""
    return values.max(axis=0, initial=0) <= 9


def mod(values: IntArray, m: int) -> IntArray:
    """``values % m`` (floor modulo, as numpy's ``%``) via a constant division numpy vectorises."""
    return values - values // m * m


def weighted(
    weights: Sequence[int] | IntArray,
    values: IntArray,
    dtype: type[np.signedinteger[Any]] = np.int16,
) -> IntArray:
    """Per candidate: sum of ``weights[i] * values[i]`` accumulated in ``dtype`` (``einsum``).

    The caller picks a ``dtype`` no valid candidate can overflow (17 digits times weights up to
    30 fit ``int16``); garbage from masked candidates may wrap.
    """
    return np.einsum("i,ij->j", np.asarray(weights, dtype=dtype), values, dtype=dtype)


def number(values: Digits) -> IntArray:
    """``int32`` integer spelled by up to 9 digit rows (garbage where a position is not a digit)."""
    if len(values) > _POWERS_OF_TEN.size:
        raise ValueError(f"number: at most {_POWERS_OF_TEN.size} digits fit int32")
    return weighted(_POWERS_OF_TEN[_POWERS_OF_TEN.size - len(values) :], values, np.int32)


def plausible_dates(
    year: IntArray, month: IntArray, day: IntArray, today: datetime.date | None = None
) -> BoolArray:
    """Calendar dates (leap years included) between 1900-01-01 and ``today``."""
    today = today or datetime.date.today()
    leap = (month == 2) & _LEAP_YEARS.take(year, mode="clip")
    days = _MONTH_DAYS.take(month, mode="clip") + leap  # 0 where the month does not exist
    ymd = year * 10000 + month * 100 + day
    limit = today.year * 10000 + today.month * 100 + today.day
    return (day >= 1) & (day <= days) & (ymd >= EARLIEST_BIRTH) & (ymd <= limit)


def luhn_ok(values: Digits) -> BoolArray:
    """Luhn check per candidate of a ``digits`` matrix (non-digit candidates are False)."""
    width = len(values)
    doubled = values[width % 2 :: 2]  # every second digit from the right, check digit excluded
    # A doubled digit d adds 2d, less 9 when d >= 5; as -9 = 1 (mod 10), count those d instead.
    total = (
        values[1 - width % 2 :: 2].sum(axis=0, dtype=np.int16)
        + 2 * doubled.sum(axis=0, dtype=np.int16)
        + (doubled >= 5).sum(axis=0, dtype=np.int16)
    )
    return (mod(total, 10) == 0) & all_digits(values)


def code_table(codes: Iterable[int], size: int) -> BoolArray:
    """Boolean membership table indexed by code (for region / segment look-ups)."""
    table = np.zeros(size, dtype=np.bool_)
    table[np.fromiter(codes, dtype=np.int64)] = True
    return table


def tier(ok: BoolArray, better: BoolArray) -> npt.NDArray[np.uint8]:
    """0 where not ``ok``, 2 where ``ok`` and ``better``, else 1 (an index for ``pick``)."""
    return ok.view(np.uint8) + (ok & better).view(np.uint8)


def pick(choices: Sequence[float], index: IntArray | BoolArray) -> FloatArray:
    """Float64 ``choices[index]``: scores from small tier numbers (0 usually meaning invalid)."""
    return np.asarray(choices, dtype=np.float64).take(index)


def scored(values: pl.Series, *parts: tuple[IntArray, FloatArray]) -> pl.Series:
    """Float64 series of ``len(values)`` zeros with each part's scores placed at its rows."""
    out = np.zeros(len(values), dtype=np.float64)
    for rows, row_scores in parts:
        out[rows] = row_scores
    return pl.Series(values.name, out, dtype=pl.Float64)
