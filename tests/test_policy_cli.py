"""`fenji check` and `fenji rules list|show` through Typer, as the lead registers them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from fenji import cli_check
from fenji.individuals import SketchBuilder
from fenji.policy import LedgerEntry, TableFacts, load_all_rules

EXAMPLES = Path(__file__).parents[1] / "examples"

app = typer.Typer()
app.command("check")(cli_check.check_command)
app.add_typer(cli_check.rules_app, name="rules")
runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.output


def test_exempt_export_prints_verdict_route_and_findings() -> None:
    code, out, _ = run("check", str(EXAMPLES / "export_small_de.yaml"))
    assert code == 0
    assert "ALLOW WITH OBLIGATIONS" in out
    assert "Route: exempt" in out
    for rule in ("XB05", "XB12", "XB13", "PI01"):
        assert rule in out
    assert "PIPL Art. 39" in out


def test_json_output_carries_the_decision() -> None:
    code, out, _ = run("check", str(EXAMPLES / "export_crm_us.yaml"), "--format", "json")
    assert code == 1
    doc = json.loads(out)
    assert doc["verdict"] == "allow_with_obligations"
    assert doc["route"] == "standard_contract_or_certification"
    assert doc["exit_code"] == 1
    xb04 = next(f for f in doc["findings"] if f["code"] == "XB04")
    assert xb04["met"] is False and xb04["effect"] == "obligation"
    assert "Art. 8" in xb04["citation"]
    assert xb04["facts"]["cumulative.individuals"] == 250000
    assert {"code", "text", "met", "citation", "effect", "route", "deadline"} <= set(xb04)


def test_deny_exits_1() -> None:
    code, out, _ = run("check", str(EXAMPLES / "share_foreign_court.yaml"))
    assert code == 1
    assert "DENY" in out and "PI06" in out


def test_bad_activity_exits_2_naming_file_and_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "processor: {name: A}\n"
        "activity: {kind: share, recipient: {name: B, role: boss}}\n", "utf-8")
    code, _, output = run("check", str(bad))
    assert code == 2
    assert str(bad) in output
    assert ("activity.recipient.role: 'boss' is not one of controller, entrusted, "
            "foreign_authority, public") in output
    code, _, output = run("check", str(tmp_path / "missing.yaml"))
    assert code == 2 and "not found" in output
    bad.write_text("processor: [unclosed\n", "utf-8")
    code, _, output = run("check", str(bad))
    assert code == 2 and "not valid YAML" in output


def test_json_activity_files_work(tmp_path: Path) -> None:
    act = tmp_path / "act.json"
    act.write_text(json.dumps({
        "processor": {"name": "A"},
        "activity": {"kind": "use", "legal_basis": "consent",
                     "data": [{"declared": {"info_types": ["PERSON_NAME"], "individuals": 3}}]},
    }), "utf-8")
    code, out, _ = run("check", str(act), "-f", "json")
    assert code == 0 and json.loads(out)["verdict"] == "allow_with_obligations"


def test_rule_switches_and_parameters() -> None:
    example = str(EXAMPLES / "vehicle_trajectory_retention.yaml")
    assert run("check", example)[0] == 1
    code, out, _ = run("check", example, "--param", "AU02.max_days=30")
    assert code == 0 and "limit is 30" in out
    code, out, _ = run("check", example, "--disable", "au02")
    assert code == 0 and "disabled rules: AU02" in out
    code, _, output = run("check", example, "--param", "AU02=30")
    assert code == 2 and "CODE.NAME=VALUE" in output
    code, _, output = run("check", example, "--param", "AU02.max_days=long")
    assert code == 2 and "must be a whole number" in output
    code, _, output = run("check", example, "--today", "yesterday")
    assert code == 2 and "--today" in output


def test_rules_list_and_show() -> None:
    code, out, _ = run("rules", "list")
    assert code == 0
    for rule in load_all_rules().rules:
        assert rule.code in out
    code, out, _ = run("rules", "list", "--sector", "financial")
    assert code == 0 and "FN01" in out and "AU01" not in out
    code, out, _ = run("rules", "show", "xb03")
    assert code == 0
    assert "Art. 7" in out and "cumulative.individuals" in out and "1000000" in out
    code, _, output = run("rules", "show", "XX99")
    assert code == 2 and "unknown rule code 'XX99'" in output and "XB01" in output
    code, _, output = run("rules", "list", "--sector", "retail")
    assert code == 2 and "automotive" in output


class _Provider:
    def __init__(self) -> None:
        a, b = SketchBuilder(), SketchBuilder()
        a.update_ints(range(0, 40000))
        b.update_ints(range(20000, 60000))
        self.tables = {
            "people": TableFacts("people", ("PERSON_NAME",), 40000, sketch=a.serialize()),
            "orders": TableFacts("orders", ("ADDRESS",), 40000, sketch=b.serialize()),
        }

    def table_facts(self, name: str) -> TableFacts | None:
        return self.tables.get(name)

    def export_ledger(self, year: int) -> Sequence[LedgerEntry]:
        return [LedgerEntry(date=date(year, 1, 5), recipient="X", individuals=50000)]


def test_catalogue_facts_come_from_the_registered_provider(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # the relative catalogue URL below must not land in the checkout
    example = str(EXAMPLES / "export_from_catalogue.yaml")
    code, _, output = run("check", example)
    assert code == 2 and "activity.data[0].catalogue: no catalogue given" in output
    urls: list[str | None] = []

    def factory(url: str | None) -> _Provider:
        urls.append(url)
        return _Provider()

    monkeypatch.setattr(cli_check, "_provider_factory", factory)
    code, out, _ = run("check", example, "--catalogue", "sqlite:///c.db", "-f", "json",
                       "--today", "2026-06-01")
    assert urls == ["sqlite:///c.db"]
    doc = json.loads(out)
    # the two tables share 20,000 people: ~60,000 in this export, plus 50,000 earlier (no sketch)
    assert 58000 <= doc["facts"]["facts.individuals"] <= 62000
    assert doc["facts"]["cumulative.upper_bound"] is True
    assert doc["route"] == "standard_contract_or_certification"
    assert doc["activity"]["data"] == ["catalogue:people", "catalogue:orders"]
    assert code == 1
