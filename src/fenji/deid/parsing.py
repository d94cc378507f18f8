"""Vectorised parsing shared by operators: text, dates, numbers (Polars expressions only)."""

from __future__ import annotations

import polars as pl

# Full-width digits and separators as typed on Chinese keyboards, mapped to ASCII.
_FULL = [chr(0xFF10 + i) for i in range(10)] + ["－", "／", "．", "，", "：", "　"]
_HALF = [str(i) for i in range(10)] + ["-", "/", ".", ",", ":", " "]

# Year, month, day with ASCII or Chinese separators (1990-03-07, 1990/3/7, 19900307, 1990年3月7日).
DATE_PATTERN = r"^\s*(\d{4})\s*[-/.年]?\s*(\d{1,2})\s*[-/.月]?\s*(\d{1,2})(?:\s*日)?"


def to_text(series: pl.Series) -> pl.Series:
    """The column as Utf8 (dates in ISO form), full-width digits and separators made ASCII."""
    text = series if series.dtype == pl.Utf8 else series.cast(pl.Utf8)
    return text.str.replace_many(_FULL, _HALF)


def parse_dates(series: pl.Series) -> pl.Series:
    """Dates in the column (Date dtype); unparseable or impossible dates become null."""
    if series.dtype == pl.Date:
        return series
    if isinstance(series.dtype, pl.Datetime):
        return series.dt.date()
    parts = to_text(series).str.extract_groups(DATE_PATTERN).struct.unnest()
    iso = parts.select(
        pl.concat_str(
            [
                pl.col("1"),
                pl.lit("-"),
                pl.col("2").str.zfill(2),
                pl.lit("-"),
                pl.col("3").str.zfill(2),
            ]
        ).alias(series.name)
    ).to_series()
    return iso.str.to_date("%Y-%m-%d", strict=False)


def date_remainder(series: pl.Series) -> pl.Series:
    """What follows the date part of each value (e.g. a time ' 08:30'), '' when nothing."""
    if series.dtype == pl.Date:
        return pl.Series(series.name, [""] * series.len(), dtype=pl.Utf8)
    if isinstance(series.dtype, pl.Datetime):
        return " " + series.dt.strftime("%H:%M:%S")
    return to_text(series).str.replace(DATE_PATTERN, "")


def parse_numbers(series: pl.Series) -> pl.Series:
    """Numbers in the column (Float64); thousands separators and spaces ignored, rest null."""
    if series.dtype.is_numeric():
        return series.cast(pl.Float64)
    cleaned = to_text(series).str.replace_all(r"[,\s]", "")
    return cleaned.cast(pl.Float64, strict=False)


def format_numbers(values: pl.Series, integral: bool) -> pl.Series:
    """Numbers as text: integers without a decimal point, others without float noise."""
    if integral:
        return values.round(0).cast(pl.Int64).cast(pl.Utf8)
    return values.round(10).cast(pl.Utf8)
