"""Retention against real data: how many rows are older than a limit (counts only, no values).

Used by ``fenji check retention`` (e.g. the automotive pack's 7-day limit on location and
trajectory data). Whole-column Polars expressions, no per-row Python.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import polars as pl

from fenji.errors import InputError, choices


def rows_older_than(
    frame: pl.DataFrame | pl.LazyFrame, column: str, limit_days: int, today: date | None = None
) -> int:
    """Rows whose ``column`` falls on a day before ``today - limit_days``.

    Ages are counted in calendar days, in the column's own time zone for zoned timestamps: with a
    7-day limit on 2026-03-10, rows from 2026-03-03 are kept and rows from 2026-03-02 or earlier
    are counted. Date, Datetime and String (ISO 8601) columns work; null timestamps are not
    counted. A string that does not parse as a time is an ``InputError`` (naming the column and
    how many values failed, never the values), so nothing is silently missed.
    """
    if limit_days < 0:
        raise InputError(f"retention limit must be 0 days or more, got {limit_days}")
    today = today or date.today()
    if isinstance(today, datetime):
        today = today.date()
    lazy = frame.lazy()
    schema = lazy.collect_schema()
    if column not in schema:
        raise InputError(f"timestamp column {column!r} not found (columns: {choices(schema)})")
    dtype = schema[column]
    col = pl.col(column)
    if dtype == pl.String:
        parsed = col.str.strip_chars().str.to_datetime(strict=False)
        bad = lazy.select(
            (col.is_not_null() & (col.str.strip_chars() != "") & parsed.is_null()).sum()
        ).collect().item()
        if bad:
            raise InputError(f"timestamp column {column!r}: {bad} values are not ISO 8601 times "
                             "(cast the column to a datetime first)")
        day = parsed.dt.date()
    elif dtype == pl.Date:
        day = col
    elif isinstance(dtype, pl.Datetime):
        day = col.dt.date()
    else:
        raise InputError(f"timestamp column {column!r} is {dtype}; expected Date, Datetime or "
                         "String (ISO 8601)")
    cutoff = today - timedelta(days=limit_days)
    count: int = lazy.select((day < cutoff).sum()).collect().item()
    return count
