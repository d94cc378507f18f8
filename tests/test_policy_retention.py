"""rows_older_than: counts rows past a retention limit, whole-column, never showing values."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fenji.errors import InputError
from fenji.policy import rows_older_than

TODAY = date(2026, 3, 10)


def test_day_boundary_with_a_7_day_limit() -> None:
    days = [date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 10), None, date(2025, 1, 1)]
    df = pl.DataFrame({"ts": days})
    # 3 March is exactly 7 days old and kept; 2 March and 2025 are past the limit
    assert rows_older_than(df, "ts", 7, TODAY) == 2
    assert rows_older_than(df.lazy(), "ts", 7, TODAY) == 2
    assert rows_older_than(df, "ts", 0, TODAY) == 3
    assert rows_older_than(df, "ts", 10_000, TODAY) == 0


def test_datetimes_naive_and_zoned_use_their_own_calendar_day() -> None:
    naive = pl.DataFrame({"ts": [datetime(2026, 3, 2, 23, 59), datetime(2026, 3, 3, 0, 0)]})
    assert rows_older_than(naive, "ts", 7, TODAY) == 1
    # 2026-03-02T20:00Z is 3 March 04:00 in Shanghai: kept there, old in UTC
    utc = pl.DataFrame({"ts": [datetime(2026, 3, 2, 20, 0, tzinfo=UTC)]})
    assert rows_older_than(utc, "ts", 7, TODAY) == 1
    shanghai = utc.with_columns(pl.col("ts").dt.convert_time_zone("Asia/Shanghai"))
    assert rows_older_than(shanghai, "ts", 7, TODAY) == 0


def test_iso_strings_parse_and_bad_strings_are_an_error_without_values() -> None:
    df = pl.DataFrame({"ts": ["2026-03-01 08:00:00", "2026-03-09 08:00:00", None, ""]})
    assert rows_older_than(df, "ts", 7, TODAY) == 1
    bad = pl.DataFrame({"ts": ["2026-03-01 08:00:00", "13800138000"]})
    with pytest.raises(InputError) as info:
        rows_older_than(bad, "ts", 7, TODAY)
    assert "'ts'" in str(info.value) and "1 values" in str(info.value)
    assert "13800138000" not in str(info.value)


def test_errors_name_the_column() -> None:
    df = pl.DataFrame({"ts": [1, 2], "other": ["a", "b"]})
    with pytest.raises(InputError, match="'when' not found .*other, ts"):
        rows_older_than(df, "when", 7, TODAY)
    with pytest.raises(InputError, match="'ts' is Int64 but its values are not Unix epoch"):
        rows_older_than(df, "ts", 7, TODAY)
    with pytest.raises(InputError, match="0 days or more"):
        rows_older_than(pl.DataFrame({"ts": [TODAY]}), "ts", -1, TODAY)


@settings(max_examples=40, deadline=None)
@given(
    offsets=st.lists(st.one_of(st.none(), st.integers(-400, 400)), max_size=60),
    limit=st.integers(0, 60),
)
def test_matches_a_row_by_row_reading(offsets: list[int | None], limit: int) -> None:
    days = [None if o is None else TODAY - timedelta(days=o) for o in offsets]
    expected = sum(1 for d in days if d is not None and (TODAY - d).days > limit)
    frame = pl.DataFrame({"ts": days}, schema={"ts": pl.Date})
    assert rows_older_than(frame, "ts", limit, TODAY) == expected


def test_epoch_seconds_and_milliseconds() -> None:
    def epoch(d: date) -> int:
        return int(datetime(d.year, d.month, d.day, 12, tzinfo=UTC).timestamp())

    days = [TODAY - timedelta(days=n) for n in (0, 6, 7, 8, 30)]
    secs = pl.DataFrame({"ts": [epoch(d) for d in days]})
    millis = pl.DataFrame({"ts": [epoch(d) * 1000 for d in days]})
    assert rows_older_than(secs, "ts", 7, TODAY) == 2
    assert rows_older_than(millis, "ts", 7, TODAY) == 2
    assert rows_older_than(pl.DataFrame({"ts": pl.Series([], dtype=pl.Int64)}), "ts", 7, TODAY) == 0
