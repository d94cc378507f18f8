"""`fenji check retention SOURCE`: location tables against the retention limit, on real files
and databases (classified by the real scanner, streamed in batches)."""

from __future__ import annotations

import json
import random
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
import typer
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from fenji import cli_check
from fenji.catalogue import resolve_url
from fenji.errors import InputError
from fenji.policy.retention import check_retention, pick_time_column, retention_count

TODAY = date(2026, 3, 31)
N = 600

app = typer.Typer()
app.command("check")(cli_check.check_command)
app.add_typer(cli_check.rules_app, name="rules")  # two commands, as in fenji: `check` is named
runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "220"})
    return result.exit_code, result.stdout, result.output


def trips(seed: int = 1, days: int = 30) -> tuple[pl.DataFrame, int, int]:
    """Vehicle positions over ``days`` days before TODAY; returns the frame, the rows older than
    7 days and the oldest age in days, worked out row by row as a reference."""
    rnd = random.Random(seed)
    start = datetime(TODAY.year, TODAY.month, TODAY.day) - timedelta(days=days)
    times = [start + timedelta(minutes=rnd.randrange(days * 24 * 60)) for _ in range(N)]
    over = sum(1 for t in times if (TODAY - t.date()).days > 7)
    oldest = max((TODAY - t.date()).days for t in times)
    df = pl.DataFrame({
        "vin": [f"LSVAU2180N21{i:05d}" for i in range(N)],
        "lat": [round(31 + rnd.random(), 5) for _ in range(N)],
        "lng": [round(121 + rnd.random(), 5) for _ in range(N)],
        "speed": [rnd.randrange(120) for _ in range(N)],
        "采集时间": times,
    })
    return df, over, oldest


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, int, int]:
    df, over, oldest = trips()
    data = tmp_path / "data"
    data.mkdir()
    df.write_parquet(data / "trips.parquet")
    df.with_columns(pl.col("采集时间").dt.to_string("%Y-%m-%d %H:%M:%S")).write_csv(
        data / "trips_copy.csv")
    pl.DataFrame({"model": ["A", "B"], "price": [1, 2]}).write_csv(data / "models.csv")
    return data, over, oldest


def test_counts_rows_past_the_7_day_limit_in_parquet_and_csv(
    files: tuple[Path, int, int],
) -> None:
    data, over, oldest = files
    code, out, output = run("check", "retention", str(data), "--pack", "automotive",
                            "--today", TODAY.isoformat(), "-f", "json")
    assert code == 1, output
    doc = json.loads(out)
    assert doc["limit_days"] == 7 and doc["rule"] == "AU02" and "(draft)" in doc["citation"]
    assert doc["tables_scanned"] == 3
    tables = {t["table"]: t for t in doc["tables"]}
    assert set(tables) == {"trips", "trips_copy"}  # models.csv has no location column
    for t in tables.values():
        assert t["location_columns"] == ["lat", "lng"] and t["time_column"] == "采集时间"
        assert (t["rows"], t["rows_over_limit"], t["oldest_age_days"]) == (N, over, oldest)
    # counts and ages only: no coordinate or timestamp value is printed
    df = pl.read_parquet(data / "trips.parquet")
    assert str(df["lat"][0]) not in out and str(df["采集时间"][0])[:16] not in out


def test_limit_from_option_or_rule_parameter_and_table_output(
    files: tuple[Path, int, int],
) -> None:
    data, over, _ = files
    target = str(data / "trips.parquet")
    code, out, _ = run("check", "retention", target, "--today", TODAY.isoformat())
    assert code == 1
    assert "7 days" in out and "AU02" in out and f"{over:,}" in out and "(exit 1)" in out
    assert run("check", "retention", target, "--today", TODAY.isoformat(),
               "--limit-days", "31")[0] == 0
    code, out, _ = run("check", "retention", target, "--today", TODAY.isoformat(),
                       "--param", "AU02.max_days=31", "-f", "json")
    assert code == 0 and json.loads(out)["tables"][0]["rows_over_limit"] == 0
    # a pack without a retention rule needs the limit spelled out
    code, _, output = run("check", "retention", target, "--pack", "general")
    assert code == 2 and "--limit-days" in output
    code, out, _ = run("check", "retention", target, "--pack", "general", "--limit-days", "7",
                       "--today", TODAY.isoformat(), "-f", "json")
    assert code == 1 and json.loads(out)["tables"][0]["rows_over_limit"] == over


def test_bad_input_exits_2(files: tuple[Path, int, int], tmp_path: Path) -> None:
    data, _, _ = files
    target = str(data / "trips.parquet")
    code, _, output = run("check", "retention")
    assert code == 2 and "missing SOURCE" in output
    code, _, output = run("check", "retention", str(tmp_path / "nothere.csv"))
    assert code == 2 and "nothere.csv" in output
    code, _, output = run("check", "retention", target, "--time-column", "when")
    assert code == 2 and "no column 'when'" in output and "采集时间" in output
    code, _, output = run("check", "retention", target, "--limit-days", "-1")
    assert code == 2 and "0 days or more" in output
    code, _, output = run("check", "retention", target, "--pack", "shoes")
    assert code == 2 and "automotive" in output
    # a location table with no time column cannot be checked
    pl.read_parquet(target).drop("采集时间").write_parquet(tmp_path / "no_time.parquet")
    code, out, output = run("check", "retention", str(tmp_path / "no_time.parquet"))
    assert code == 2 and "no timestamp column" in output and "--time-column" in output


def test_time_column_override_and_choice() -> None:
    df = pl.DataFrame({
        "created_at": [datetime(2026, 1, 1)], "gps_time": [datetime(2026, 3, 1)],
        "lat": [31.2], "note": ["2026-03-01T08:00:00"],
    })
    assert pick_time_column(df) == "gps_time"  # "time" is a better hint than "created_at"
    assert pick_time_column(df.drop("gps_time", "created_at")) == "note"  # ISO text
    assert pick_time_column(df.select("lat")) is None
    assert pick_time_column(pl.DataFrame({"ts": [1], "day": [date(2026, 1, 1)]})) == "day"


def test_text_that_is_no_time_at_all_is_an_input_error() -> None:
    df = pl.DataFrame({"ts": ["LSVAU2180N2100001", "31.12345"]})
    with pytest.raises(InputError, match="'ts': 2 values are not ISO 8601") as info:
        retention_count([df], "ts", 7, TODAY)
    assert "LSVAU" not in str(info.value)


def test_streams_in_batches() -> None:
    df, over, oldest = trips(seed=3)
    batches = [df.slice(i, 50) for i in range(0, N, 50)]
    count = retention_count(batches, "采集时间", 7, TODAY)
    assert (count.rows, count.over_limit, count.oldest_age_days) == (N, over, oldest)


def test_sqlite_database(tmp_path: Path) -> None:
    df, over, oldest = trips(seed=5)
    db = tmp_path / "fleet.db"
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("CREATE TABLE ret_trips (vin TEXT, position TEXT, recorded_at TEXT)")
        conn.executemany(
            "INSERT INTO ret_trips VALUES (?, ?, ?)",
            [(v, f"{a:.5f},{b:.5f}", t.isoformat(sep=" "))
             for v, a, b, t in df.select("vin", "lat", "lng", "采集时间").iter_rows()],
        )
        conn.execute("CREATE TABLE ret_users (name TEXT, joined TEXT)")
        conn.execute("INSERT INTO ret_users VALUES ('x', '2020-01-01')")
        conn.commit()
    code, out, output = run("check", "retention", f"sqlite:///{db}", "--today",
                            TODAY.isoformat(), "-f", "json")
    assert code == 1, output
    doc = json.loads(out)
    [t] = doc["tables"]
    assert (t["table"], t["location_columns"], t["time_column"]) == (
        "ret_trips", ["position"], "recorded_at")
    assert (t["rows"], t["rows_over_limit"], t["oldest_age_days"]) == (N, over, oldest)
    report = check_retention([f"sqlite:///{db}"], today=TODAY, limit_days=60, batch_rows=100)
    assert report.exit_code == 0 and report.tables[0].rows == N


@pytest.fixture
def pg_db(pg_url: str) -> Iterator[str]:
    base = resolve_url(pg_url)
    name = f"ret_test_{secrets.token_hex(6)}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
        admin.dispose()


def test_postgresql_timestamptz(pg_db: str) -> None:
    df, _, _ = trips(seed=9)
    # stored as instants; counted on the column's own calendar (UTC for timestamptz via psycopg)
    utc = [t.replace(tzinfo=UTC) for t in df["采集时间"].to_list()]
    over = sum(1 for t in utc if (TODAY - t.date()).days > 7)
    engine = create_engine(pg_db)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE ret_trips (latitude double precision, "
                          "longitude double precision, ts timestamptz)"))
        conn.execute(text("INSERT INTO ret_trips VALUES (:a, :b, :t)"),
                     [{"a": a, "b": b, "t": t}
                      for (a, b), t in zip(df.select("lat", "lng").iter_rows(), utc, strict=True)])
    engine.dispose()
    report = check_retention([pg_db], today=TODAY)
    [t] = report.tables
    assert t.time_column == "ts" and t.rows == N and report.exit_code == 1
    assert t.over_limit == over
