"""The per-run record on SQLite, PostgreSQL and MariaDB, and ``fenji compute runs``."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fenji.cli_compute import compute_app
from fenji.compute.audit import AuditLog, RunRecord, parties_list
from fenji.errors import CatalogueError

T0 = datetime(2026, 6, 1, 8, 0, 0, 123456, tzinfo=UTC)


@pytest.fixture
def url(catalogue_db_url: str) -> str:
    """A fresh database per backend (see conftest)."""
    return catalogue_db_url


def _record(run_id: str, status: str = "ok", **more: object) -> RunRecord:
    fields: dict[str, object] = {
        "run_id": run_id, "command": "stats", "protocol": "MPyC 0.11 Shamir t=1 of 3",
        "role": "party 1 of 3",
        "parties": parties_list(["10.0.0.1:9001", "10.0.0.2:9002", "10.0.0.3:9003"],
                                [None, "MPyC party 1"]),
        "tls": True, "inputs": {"source": "loans.csv", "columns": ["amount"], "rows": 1200},
        "revealed_to_me": ("count", "mean"), "revealed_to_others": ("count", "mean"),
        "result": {"count": 3600, "figures": {"mean": {"value": 1234.5, "suppressed": False}}},
        "purpose": "联合风控统计", "status": status,
        "started_at": T0, "finished_at": T0 + timedelta(seconds=3),
    }
    fields.update(more)
    return RunRecord(**fields)  # type: ignore[arg-type]


def test_records_round_trip_newest_first(url: str) -> None:
    log = AuditLog(url)
    first = log.add(_record("run-a"))
    second = log.add(_record("run-b", "failed", error="party 2 (10.0.0.3:9003) left mid-protocol",
                             command="train"))
    log.close()
    again = AuditLog(url)  # the table exists now: opening twice is fine
    records = again.recent()
    assert [r.id for r in records] == [second, first]
    got = records[1]
    assert got == _record("run-a", id=first)  # every field, incl. microseconds and Chinese text
    assert records[0].status == "failed" and "left mid-protocol" in (records[0].error or "")
    assert [r.run_id for r in again.recent(command="train")] == ["run-b"]
    again.close()


def test_unreachable_catalogue_is_one_line_without_password() -> None:
    with pytest.raises(CatalogueError) as err:
        AuditLog("postgresql://fenji:s3cret@127.0.0.1:1/nowhere")
    assert "s3cret" not in str(err.value) and "***" in str(err.value)


def test_runs_command_lists_records(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    log = AuditLog(url)
    log.add(_record("run-x"))
    log.close()
    result = CliRunner().invoke(compute_app, ["runs", "--catalogue", url, "-f", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert rows[0]["run_id"] == "run-x" and rows[0]["revealed_to_me"] == ["count", "mean"]
    assert rows[0]["parties"][1] == {"index": 1, "address": "10.0.0.2:9002",
                                     "subject": "MPyC party 1"}
    table = CliRunner().invoke(compute_app, ["runs", "--catalogue", url, "-f", "table"])
    assert table.exit_code == 0 and "run-x" in table.output
