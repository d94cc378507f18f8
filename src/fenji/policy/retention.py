"""Retention against real data: how many rows are older than a limit (counts only, no values).

Used by ``fenji check retention`` (e.g. the automotive pack's 7-day limit on location and
trajectory data). Whole-column Polars expressions, no per-row Python.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

import polars as pl

from fenji.errors import FenjiError, InputError, SourceError, choices
from fenji.policy.conditions import ParamValue, Test
from fenji.policy.rules import Rule, load_rules
from fenji.policy.schema import sectors

if TYPE_CHECKING:
    from fenji.sources import TableReader

# Location info types when the pack's rules name none (no retention rule in that pack).
DEFAULT_LOCATION_TYPES = ("GPS_COORDINATE", "VEHICLE_TRAJECTORY")
# Column names that say "when this row was recorded", best first. Not pack data: they describe
# table layouts, not law; a name matches whole or as an ``_``-separated part (gps_time, event_ts).
TIME_HINTS = ("采集时间", "recorded_at", "timestamp", "time", "ts", "datetime", "时间",
              "created_at", "时刻", "日期时间")


def _frame_day(frame: pl.DataFrame | pl.LazyFrame, column: str) -> tuple[pl.LazyFrame, pl.Expr]:
    """The frame as lazy, and an expression for each row's calendar day (null when unknown)."""
    lazy = frame.lazy()
    schema = lazy.collect_schema()
    if column not in schema:
        raise InputError(f"timestamp column {column!r} not found (columns: {choices(schema)})")
    dtype = schema[column]
    col = pl.col(column)
    if dtype == pl.String:
        parsed = col.str.strip_chars().str.to_datetime(strict=False)
        try:
            bad: int = lazy.select(
                (col.is_not_null() & (col.str.strip_chars() != "") & parsed.is_null()).sum()
            ).collect().item()
            what = f"{bad} values are"
        except pl.exceptions.PolarsError:  # no time format could be inferred at all
            bad, what = 1, "its values are"
        if bad:
            raise InputError(f"timestamp column {column!r}: {what} not ISO 8601 times "
                             "(cast the column to a datetime first)")
        return lazy, parsed.dt.date()
    if dtype == pl.Date:
        return lazy, col
    if isinstance(dtype, pl.Datetime):
        return lazy, col.dt.date()
    if dtype.is_integer():
        return lazy, _epoch_day(lazy, column, dtype)
    raise InputError(f"timestamp column {column!r} is {dtype}; expected Date, Datetime, "
                     "String (ISO 8601) or Unix epoch seconds/milliseconds")


# Plausible Unix epochs (2001-09-09 .. 2099-12-31): telematics platforms usually log integer
# milliseconds; anything outside both ranges is not taken for a time.
_EPOCH_S = (1_000_000_000, 4_102_444_800)
_EPOCH_MS = (_EPOCH_S[0] * 1000, _EPOCH_S[1] * 1000)


def _epoch_unit(lo: int | None, hi: int | None) -> Literal["ms", "s"] | None:
    """The epoch unit all values from ``lo`` to ``hi`` fit, or None."""
    if lo is None or hi is None:
        return None
    if _EPOCH_MS[0] <= lo and hi < _EPOCH_MS[1]:
        return "ms"
    if _EPOCH_S[0] <= lo and hi < _EPOCH_S[1]:
        return "s"
    return None


def _epoch_day(lazy: pl.LazyFrame, column: str, dtype: pl.DataType) -> pl.Expr:
    col = pl.col(column)
    lo, hi = lazy.select(col.min().alias("lo"), col.max().alias("hi")).collect().row(0)
    if lo is None:
        return pl.lit(None, dtype=pl.Date)
    unit = _epoch_unit(lo, hi)
    if unit is None:
        raise InputError(f"timestamp column {column!r} is {dtype} but its values are not Unix "
                         "epoch seconds or milliseconds (2001-2099)")
    return pl.from_epoch(col, time_unit=unit).dt.date()


def _today(today: date | None) -> date:
    today = today or date.today()
    return today.date() if isinstance(today, datetime) else today


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
    return retention_count([frame], column, limit_days, today).over_limit


@dataclass(frozen=True)
class RetentionCount:
    """Rows of one table against a limit: how many, how many too old, the oldest age."""

    rows: int
    over_limit: int
    oldest_age_days: int | None  # age in days of the oldest timestamp; None when none is set


def retention_count(
    frames: Iterable[pl.DataFrame | pl.LazyFrame],
    column: str,
    limit_days: int,
    today: date | None = None,
) -> RetentionCount:
    """``rows_older_than`` over a stream of frames (``TableReader.iter_batches``), plus the
    number of rows and the oldest age in days. One pass; each frame is reduced to three numbers.
    """
    if limit_days < 0:
        raise InputError(f"retention limit must be 0 days or more, got {limit_days}")
    today = _today(today)
    cutoff = today - timedelta(days=limit_days)
    rows = over = 0
    oldest: date | None = None
    for frame in frames:
        lazy, day = _frame_day(frame, column)
        n, old, first = lazy.select(
            pl.len().alias("n"), (day < cutoff).sum().alias("old"), day.min().alias("first")
        ).collect().row(0)
        rows += n
        over += old or 0
        if first is not None and (oldest is None or first < oldest):
            oldest = first
    return RetentionCount(rows, over, None if oldest is None else (today - oldest).days)


# --- finding the tables and columns to check ---------------------------------------------------


@dataclass(frozen=True)
class RetentionLimit:
    """The limit applied, and where it comes from."""

    days: int
    info_types: tuple[str, ...]  # info types that make a table location/trajectory data
    rule: str | None = None  # rule code, e.g. AU02; None when the limit was given by hand
    citation: str = ""


def _retention_rule(pack: str) -> tuple[Rule, tuple[str, ...]] | None:
    """The pack's rule capping how long location data is kept, and its location info types: a
    ``max_days`` parameter and a ``contains_any`` list on ``facts.info_types`` (AU02 of the
    automotive pack)."""
    if pack not in sectors():
        return None
    for rule in load_rules(pack).rules:
        if "max_days" not in rule.params:
            continue
        for t in _tests(rule):
            if t.op == "contains_any" and t.fact == "facts.info_types" and isinstance(
                t.args[0], tuple
            ):
                return rule, tuple(str(v) for v in t.args[0])
    return None


def _tests(rule: Rule) -> list[Test]:
    out: list[Test] = []
    todo = [rule.when]
    while todo:
        cond = todo.pop()
        if isinstance(cond, Test):
            out.append(cond)
        else:
            todo.extend(getattr(cond, "parts", ()))
    return out


def retention_limit(
    pack: str,
    limit_days: int | None = None,
    params: Mapping[str, Mapping[str, ParamValue]] | None = None,
) -> RetentionLimit:
    """The limit for ``pack``: ``limit_days`` if given, else the pack rule's ``max_days``
    (overridable as ``params[CODE]["max_days"]``, like ``--param AU02.max_days=14``)."""
    if limit_days is not None and limit_days < 0:
        raise InputError(f"--limit-days: must be 0 days or more, got {limit_days}")
    found = _retention_rule(pack)
    if found is None:
        if limit_days is None:
            raise InputError(f"pack {pack!r} has no location retention rule; pass --limit-days N "
                             "(the automotive pack has one: --pack automotive)")
        return RetentionLimit(limit_days, DEFAULT_LOCATION_TYPES)
    rule, types = found
    days = limit_days
    if days is None:
        raw = (params or {}).get(rule.code, {}).get("max_days", rule.params["max_days"])
        if not isinstance(raw, int) or isinstance(raw, bool):
            raise InputError(f"--param {rule.code}.max_days: expected a number of days, "
                             f"got {raw!r}")
        if raw < 0:
            raise InputError(f"--param {rule.code}.max_days: must be 0 days or more, got {raw}")
        days = raw
    return RetentionLimit(days, types, rule.code, rule.citation)


def _hint_rank(name: str) -> int | None:
    low = name.strip().lower()
    parts = re.split(r"[_\-\s.]+", low)
    for i, hint in enumerate(TIME_HINTS):
        if low == hint or hint in parts or (not hint.isascii() and hint in low):
            return i
    return None


def _epoch_like(values: pl.Series) -> bool:
    """An integer column whose sampled values all look like Unix epoch seconds/milliseconds."""
    if not values.dtype.is_integer():
        return False
    lo, hi = values.min(), values.max()
    return _epoch_unit(lo, hi) is not None  # type: ignore[arg-type]


def pick_time_column(sample: pl.DataFrame, skip: Sequence[str] = ()) -> str | None:
    """The column holding each row's time, judged from a sample (names and types only).

    First a column named like a time (``TIME_HINTS``, best hint first; a Date/Datetime one wins a
    tie), then any Date/Datetime column, then a text column whose every non-empty sampled value
    parses as an ISO 8601 time. None when there is no such column.
    """
    cols = [c for c in sample.columns if c not in skip]
    schema = sample.schema

    def is_time(c: str) -> bool:
        return schema[c] == pl.Date or isinstance(schema[c], pl.Datetime)

    named = [(r, not is_time(c), i, c) for i, c in enumerate(cols)
             if (r := _hint_rank(c)) is not None
             and (is_time(c) or schema[c] == pl.String or _epoch_like(sample.get_column(c)))]
    if named:
        return min(named)[3]
    typed = [c for c in cols if is_time(c)]
    if typed:
        return typed[0]
    for c in cols:
        if schema[c] != pl.String:
            continue
        text = sample.get_column(c).str.strip_chars()
        text = text.filter(text.is_not_null() & (text != ""))
        try:
            if text.len() and text.str.to_datetime(strict=False).null_count() == 0:
                return c
        except pl.exceptions.PolarsError:  # no time format could be inferred: not a time
            continue
    return None


@dataclass(frozen=True)
class TableRetention:
    """One location table checked against the limit (counts and ages, never values)."""

    source: str
    table: str
    location_columns: tuple[str, ...]
    time_column: str | None
    rows: int = 0
    over_limit: int = 0
    oldest_age_days: int | None = None
    error: str | None = None  # why it could not be checked


@dataclass(frozen=True)
class RetentionReport:
    """``fenji check retention``: every location table found under the targets."""

    targets: tuple[str, ...]
    pack: str
    limit: RetentionLimit
    today: date
    tables: tuple[TableRetention, ...]
    tables_scanned: int
    errors: tuple[str, ...]  # sources or tables that could not be read

    @property
    def exit_code(self) -> int:
        """2 when something could not be checked, 1 when a table has rows over the limit."""
        if self.errors or any(t.error for t in self.tables):
            return 2
        return 1 if any(t.over_limit for t in self.tables) else 0


def check_retention(
    targets: Sequence[str],
    *,
    pack: str = "automotive",
    limit_days: int | None = None,
    today: date | None = None,
    time_column: str | None = None,
    params: Mapping[str, Mapping[str, ParamValue]] | None = None,
    sample: int = 1000,
    batch_rows: int = 100_000,
) -> RetentionReport:
    """Find location/trajectory tables under ``targets`` and count rows kept past the limit.

    Each table's sample is classified with the pack's recognizers; a table with a column of a
    location info type (``RetentionLimit.info_types``) is streamed over its time column
    (``time_column``, or ``pick_time_column``) and counted with ``retention_count``.
    """
    from fenji.detect.column import classify_frame
    from fenji.detect.recognizer import load_recognizers
    from fenji.packs import load_pack
    from fenji.sources import open_sources

    limit = retention_limit(pack, limit_days, params)
    today = _today(today)
    recognizers = load_recognizers(load_pack(pack).recognizers_path)
    found: list[TableRetention] = []
    errors: list[str] = []
    scanned = 0
    for src in open_sources(list(targets)):
        if isinstance(src, SourceError):
            errors.append(str(src))
            continue
        with src:
            try:
                for reader in src.tables():
                    if isinstance(reader, SourceError):
                        errors.append(str(reader))
                        continue
                    scanned += 1
                    try:  # one unreadable table does not stop the others
                        df = reader.sample(sample, 0)
                        hits = classify_frame(df, recognizers)
                    except FenjiError as exc:
                        errors.append(str(exc))
                        continue
                    where = tuple(c for c in df.columns
                                  if any(h.type in limit.info_types for h in hits.get(c, ())))
                    if where:
                        found.append(_check_table(src.uri, reader, df, where, time_column,
                                                  limit, today, batch_rows))
            except FenjiError as exc:  # listing the tables failed
                errors.append(str(exc))
    return RetentionReport(tuple(targets), pack, limit, today, tuple(found), scanned,
                           tuple(errors))


def _check_table(uri: str, reader: TableReader, df: pl.DataFrame, where: tuple[str, ...],
                 time_column: str | None, limit: RetentionLimit, today: date,
                 batch_rows: int) -> TableRetention:
    column = time_column or pick_time_column(df, skip=where)
    base = TableRetention(uri, reader.name, where, column)
    if column is None:
        return replace(base, error=f"{reader.name}: no timestamp column found (columns: "
                                 f"{choices(df.columns)}); name one with --time-column")
    if column not in df.columns:
        return replace(base, error=f"{reader.name}: no column {column!r} (columns: "
                                 f"{choices(df.columns)})")
    try:
        count = retention_count(reader.iter_batches([column], batch_rows), column, limit.days,
                                today)
    except FenjiError as exc:
        return replace(base, error=f"{reader.name}: {exc}")
    return replace(base, rows=count.rows, over_limit=count.over_limit,
                 oldest_age_days=count.oldest_age_days)


def retention_to_dict(report: RetentionReport) -> dict[str, Any]:
    """The JSON shape of ``fenji check retention --format json`` (counts and ages only)."""
    return {
        "check": "retention",
        "pack": report.pack,
        "today": report.today.isoformat(),
        "limit_days": report.limit.days,
        "rule": report.limit.rule,
        "citation": report.limit.citation,
        "location_info_types": list(report.limit.info_types),
        "tables_scanned": report.tables_scanned,
        "tables": [
            {
                "source": t.source,
                "table": t.table,
                "location_columns": list(t.location_columns),
                "time_column": t.time_column,
                "rows": t.rows,
                "rows_over_limit": t.over_limit,
                "oldest_age_days": t.oldest_age_days,
                "error": t.error,
            }
            for t in report.tables
        ],
        "errors": list(report.errors),
        "exit_code": report.exit_code,
    }
