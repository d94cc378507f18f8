"""``fenji catalogue list|show|individuals`` over a SQLite catalogue."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fenji.catalogue import Catalogue
from fenji.cli_catalogue import app
from test_catalogue import RAW_ID, RAW_PHONE, T0, ids, people_table, scan_result

runner = CliRunner()


@pytest.fixture
def url(tmp_path: Path) -> str:
    """A catalogue with a complete scan (2 tables) and a newer, still running one."""
    url = f"sqlite:///{tmp_path / 'cat.db'}"
    tables = {
        "people": people_table("people", ids(0, 200), rank=4),
        "leads": people_table("leads", ids(150, 100), rank=3),
    }
    with Catalogue(url) as cat:
        cat.save_scan(scan_result(tables))
        cat.begin_scan(pack="financial", started_at=T0 + timedelta(hours=1))
    return url


def test_list_shows_scans_newest_first(url: str) -> None:
    res = runner.invoke(app, ["list", "--catalogue", url], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    rows = [[c.strip() for c in ln.split("│")[1:-1]] for ln in res.stdout.splitlines()]
    rows = [r for r in rows if r and r[0].isdigit()]
    # scan, started, status, pack, sources, tables, PI columns, grade
    assert [r[0] for r in rows] == ["2", "1"]
    assert rows[0][2:4] == ["running", "financial"]
    assert rows[1][2:] == ["complete", "general", "2", "2", "4", "general-4"]
    assert rows[1][1].startswith(T0.astimezone().strftime("%Y-%m-%d"))


def test_show_scan_json_has_masked_samples_only(url: str) -> None:
    res = runner.invoke(app, ["show", "1", "--catalogue", url, "--format", "json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["scan"]["id"] == 1 and data["scan"]["status"] == "complete"
    table = data["sources"][0]["tables"][0]
    assert table["name"] == "people"
    assert table["individuals"]["key"] == "CN_RESIDENT_ID"
    assert abs(table["individuals"]["estimate"] - 201) <= 4
    column = table["columns"][0]
    assert column["name"] == "身份证号" and column["info_types"][0]["type"] == "CN_RESIDENT_ID"
    assert column["samples"] == ["110***********4514", "110***********0012"]
    assert table["grade"]["level"] == "general-4"
    assert "sketch" not in res.stdout
    for raw in (RAW_ID, RAW_PHONE):
        assert raw not in res.stdout


def test_show_table_by_name(url: str) -> None:
    res = runner.invoke(app, ["show", "leads", "--catalogue", url], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "table leads from people.csv, scan 1" in res.stdout
    assert "CN_RESIDENT_ID 0.99" in res.stdout and "138****5678" in res.stdout
    data = json.loads(
        runner.invoke(app, ["show", "leads", "--catalogue", url, "--format", "json"]).stdout
    )
    assert data["scan"] == 1 and data["table"]["grade"]["level"] == "general-3"


def test_show_scan_as_text(url: str) -> None:
    res = runner.invoke(app, ["show", "1", "--catalogue", url], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "scan 1  complete  pack general" in res.stdout
    assert "source people.csv (csv)" in res.stdout and "document notes.txt" in res.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "9"], "no scan 9; scan ids run 1 to 2"),
        (["show", "nobody"], "no complete scan has table 'nobody'"),
        (["individuals", "people", "nobody"], "no complete scan has table 'nobody'"),
        (["show", "1", "--catalogue", "postgresql://u:hunter22@127.0.0.1:1/x"], "u:***@"),
    ],
)
def test_errors_are_one_line_exit_2(url: str, args: list[str], message: str) -> None:
    if "--catalogue" not in args:
        args = [*args, "--catalogue", url]
    res = runner.invoke(app, args)
    assert res.exit_code == 2
    assert res.stdout == ""
    assert res.stderr.startswith("error: ") and res.stderr.count("\n") == 1
    assert message in res.stderr and "hunter22" not in res.stderr


def test_individuals_across_tables(url: str) -> None:
    res = runner.invoke(app, ["individuals", "people", "leads", "--catalogue", url])
    assert res.exit_code == 0, res.output
    assert abs(int(res.stdout) - 251) <= 5  # 200 + 100 people, 50 (and RAW_ID) in both
