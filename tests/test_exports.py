"""The export ledger: `fenji exports record|summary|list` and cumulative counts in `fenji check`."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from fenji import cli_check
from fenji.catalogue import Catalogue
from fenji.catalogue.ledger import ExportRecord, list_exports, record_export, summarize_exports
from fenji.cli_exports import exports_app
from fenji.individuals import SketchBuilder, union_estimate
from fenji.model import (
    ColumnProfile,
    Grade,
    Individuals,
    InfoTypeHit,
    ScanResult,
    SourceProfile,
    TableProfile,
)
from fenji.policy.catalogue_facts import CatalogueFacts

T0 = datetime(2026, 1, 10, 8, 0, tzinfo=UTC)

app = typer.Typer()
app.command("check")(cli_check.check_command)
app.add_typer(exports_app, name="exports")
runner = CliRunner()


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FENJI_KEY", "00112233445566778899aabbccddeeff")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("FENJI_CATALOGUE", raising=False)


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.output


def sketch(people: range) -> bytes:
    b = SketchBuilder()
    b.update_ints(people)
    return b.serialize()


def table(name: str, people: range, info_type: str = "CN_MOBILE_PHONE",
          sensitive: bool = False) -> TableProfile:
    hit = InfoTypeHit(info_type, 0.95, 950, 1000, info_type.lower())
    cols = (ColumnProfile(name="k", dtype="str", non_empty=1000, info_types=(hit,),
                          sensitive=sensitive),)
    ind = Individuals(estimate=len(people), key=info_type, column="k", sketch=sketch(people))
    return TableProfile(name=name, rows=len(people), rows_exact=True, rows_sampled=1000,
                        columns=cols, individuals=ind, grade=Grade("GB/T 43697-2024",
                                                                    "general-3", 3))


def save(url: str, *tables: TableProfile) -> None:
    result = ScanResult(sources=(SourceProfile(uri="x.csv", kind="csv", tables=tables),),
                        pack="general", catalogue_version="gbt35273-2020", started_at=T0,
                        finished_at=T0 + timedelta(seconds=1), sample=1000)
    with Catalogue(url) as cat:
        cat.save_scan(result, key_id="k1")


def activity(tmp_path: Path, name: str, data: list[str], kind: str = "export") -> str:
    path = tmp_path / f"{name}.yaml"
    items = "".join(f"    - {d}\n" for d in data)
    recipient = "  recipient: {name: Acme GmbH, country: DE, role: controller}\n"
    path.write_text(
        "processor: {name: Acme Shanghai}\n"
        f"activity:\n  kind: {kind}\n  purpose: support\n  legal_basis: consent\n"
        f"{recipient if kind in ('export', 'share') else ''}"
        f"  data:\n{items}"
        "  safeguards: {separate_consent: true, pia_done: true}\n", "utf-8")
    return str(path)


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cat.db'}"


def test_record_stores_counts_and_sketch_only_for_exports(url: str, tmp_path: Path) -> None:
    save(url, table("people", range(0, 3000)), table("orders", range(2000, 4000), "ADDRESS"))
    act = activity(tmp_path, "a", ["catalogue: people", "catalogue: orders"])
    code, out, output = run("exports", "record", act, "--date", "2026-02-01",
                            "--catalogue", url, "-f", "json")
    assert code == 0, output
    doc = json.loads(out)
    assert doc["date"] == "2026-02-01" and doc["recipient"] == "Acme GmbH"
    assert doc["country"] == "DE" and doc["purpose"] == "support"
    assert doc["info_types"] == ["ADDRESS", "CN_MOBILE_PHONE"]
    assert doc["individuals"] == pytest.approx(4000, rel=0.03)  # a person in both once
    assert doc["sketch"] is True and doc["unsketched_individuals"] == 0
    with Catalogue(url) as cat:
        [rec] = list_exports(cat, 2026)
    assert rec.sketch is not None and union_estimate([rec.sketch]) == doc["individuals"]
    assert rec.key_id == "k1" and [n for n, _ in rec.tables] == ["people", "orders"]

    share = activity(tmp_path, "s", ["catalogue: people"], kind="share")
    code, _, output = run("exports", "record", share, "--catalogue", url)
    assert code == 2
    assert "activity.kind is 'share'" in output and "'export'" in output and "s.yaml" in output
    code, _, output = run("exports", "record", act, "--date", "1.2.2026", "--catalogue", url)
    assert code == 2 and "--date" in output and "YYYY-MM-DD" in output
    missing = activity(tmp_path, "m", ["catalogue: nowhere"])
    code, _, output = run("exports", "record", missing, "--catalogue", url)
    assert code == 2 and "activity.data[0].catalogue: table 'nowhere' not in catalogue" in output
    with Catalogue(url) as cat:
        assert len(list_exports(cat)) == 1  # nothing stored by the refused calls


@pytest.mark.parametrize(("second", "route", "expected"), [
    (range(0, 60_000), "exempt", 60_000),  # the same people again: still under 100,000
    (range(60_000, 120_000), "standard_contract_or_certification", 120_000),
])
def test_earlier_exports_count_cumulatively(
    url: str, tmp_path: Path, second: range, route: str, expected: int
) -> None:
    save(url, table("trips_jan", range(0, 60_000)), table("trips_mar", second))
    first = activity(tmp_path, "first", ["catalogue: trips_jan"])
    assert run("exports", "record", first, "--date", "2026-01-20", "--catalogue", url)[0] == 0
    now = activity(tmp_path, "now", ["catalogue: trips_mar"])
    code, out, output = run("check", now, "--catalogue", url, "--today", "2026-03-01", "-f",
                            "json")
    doc = json.loads(out)
    assert doc["route"] == route, output
    assert doc["facts"]["facts.individuals"] == pytest.approx(60_000, rel=0.03)
    assert doc["facts"]["cumulative.individuals"] == pytest.approx(expected, rel=0.03)
    assert doc["facts"]["cumulative.exports"] == 1
    assert doc["facts"]["cumulative.upper_bound"] is False
    # before the recorded export, and in the next year, it does not count
    for today in ("2026-01-19", "2027-03-01"):
        _, out, _ = run("check", now, "--catalogue", url, "--today", today, "-f", "json")
        assert json.loads(out)["facts"]["cumulative.exports"] == 0


def test_summary_counts_distinct_people_per_year(url: str, tmp_path: Path) -> None:
    save(url, table("a", range(0, 60_000)), table("b", range(30_000, 90_000), "EMAIL_ADDRESS"),
         table("c", range(90_000, 200_000)),
         table("d", range(0, 5_000), "HEALTH_INFO", sensitive=True),
         table("e", range(2_000, 8_000), "HEALTH_INFO", sensitive=True))
    for name, day in (("a", "2026-02-01"), ("b", "2026-04-01"), ("c", "2025-12-31"),
                      ("d", "2026-05-01"), ("e", "2026-06-01")):
        act = activity(tmp_path, name, [f"catalogue: {name}"])
        assert run("exports", "record", act, "--date", day, "--catalogue", url)[0] == 0
    code, out, output = run("exports", "summary", "--year", "2026", "--catalogue", url,
                            "-f", "json")
    assert code == 0, output
    doc = json.loads(out)
    assert doc["exports"] == 4  # the 2025 export is left out
    # a (0-60k), b (30k-90k), d and e (inside a): 90,000 distinct people
    assert doc["individuals"]["individuals"] == pytest.approx(90_000, rel=0.03)
    assert doc["individuals"]["upper_bound"] is False
    assert doc["sensitive_individuals"]["individuals"] == pytest.approx(8_000, rel=0.03)
    by_type = doc["by_info_type"]
    assert by_type["EMAIL_ADDRESS"]["individuals"] == pytest.approx(60_000, rel=0.03)
    assert by_type["CN_MOBILE_PHONE"]["individuals"] == pytest.approx(60_000, rel=0.03)
    assert by_type["HEALTH_INFO"]["individuals"] == pytest.approx(8_000, rel=0.03)
    _, out, _ = run("exports", "summary", "--year", "2025", "--catalogue", url, "-f", "json")
    assert json.loads(out)["individuals"]["individuals"] == pytest.approx(110_000, rel=0.03)
    code, out, _ = run("exports", "summary", "--year", "2026", "--catalogue", url)
    assert code == 0 and "Exports in 2026: 4" in out and "HEALTH_INFO" in out
    code, out, _ = run("exports", "list", "--year", "2026", "--catalogue", url)
    assert code == 0 and out.count("Acme GmbH") == 4 and "2025-12-31" not in out


def test_declared_exports_are_summed_as_an_upper_bound(url: str, tmp_path: Path) -> None:
    save(url, table("a", range(0, 50_000)))
    declared = ("declared: {info_types: [PERSON_NAME], individuals: 30000, "
                "sensitive_individuals: 0}")
    for name, data in (("cat", ["catalogue: a"]), ("decl", [declared])):
        act = activity(tmp_path, name, data)
        assert run("exports", "record", act, "--date", "2026-03-01", "--catalogue", url)[0] == 0
    _, out, _ = run("exports", "summary", "--year", "2026", "--catalogue", url, "-f", "json")
    doc = json.loads(out)
    assert doc["individuals"]["individuals"] == pytest.approx(80_000, rel=0.03)
    assert doc["individuals"]["upper_bound"] is True
    assert any("upper bound" in n for n in doc["notes"])
    assert doc["by_info_type"]["PERSON_NAME"] == {"individuals": 30_000, "upper_bound": False}
    _, out, _ = run("exports", "summary", "--year", "2026", "--catalogue", url)
    assert "sum (upper bound)" in out
    # check adds the declared export to the sketched ones and says the total is a bound
    now = activity(tmp_path, "now", ["catalogue: a"])
    _, out, _ = run("check", now, "--catalogue", url, "--today", "2026-04-01", "-f", "json")
    facts = json.loads(out)["facts"]
    assert facts["cumulative.individuals"] == pytest.approx(80_000, rel=0.03)
    assert facts["cumulative.upper_bound"] is True and facts["cumulative.exports"] == 2


def test_mixed_records_and_other_keys_lose_their_sketch_in_the_ledger(url: str) -> None:
    base = ExportRecord(date=date(2026, 2, 1), activity="x.yaml", processor="P",
                        recipient="R", country="US", purpose=None, info_types=("VIN",),
                        tables=(), individuals=1000, sketch=sketch(range(1000)), key_id="k1")
    with Catalogue(url) as cat:
        record_export(cat, base)
        record_export(cat, replace(base, key_id="k2"))
        record_export(cat, replace(base, individuals=1500, unsketched_individuals=500))
        entries = CatalogueFacts(cat, key_id="k1").export_ledger(2026)
        summary = summarize_exports(list_exports(cat, 2026), 2026)
    assert [e.sketch is not None for e in entries] == [True, False, False]
    assert [e.individuals for e in entries] == [1000, 1000, 1500]
    # k1's two sketches are the same people (1,000) + 500 declared; k2's counted apart
    assert summary.individuals.individuals == pytest.approx(2500, rel=0.03)
    assert summary.individuals.upper_bound is True
    assert any("2 different HMAC keys" in n for n in summary.notes)


# The ledger's column types on the server backends (SQLite is covered above): conftest's fresh
# database per backend, limited to the servers.
@pytest.mark.parametrize("catalogue_db_url", ["pg", "mysql"], indirect=True)
def test_ledger_round_trip_on_database_servers(catalogue_db_url: str) -> None:
    rec = ExportRecord(date=date(2026, 7, 1), activity="crm.yaml", processor="Acme",
                       recipient="Acme Inc.", country="US", purpose="CRM",
                       info_types=("CN_MOBILE_PHONE", "PERSON_NAME"), tables=(("crm", 3),),
                       individuals=12_000, sensitive_individuals=10, unsketched_sensitive=10,
                       sketch=sketch(range(12_000)), key_id="k1")
    old = replace(rec, date=date(2025, 7, 1))
    with Catalogue(catalogue_db_url) as cat:
        record_export(cat, rec)
        record_export(cat, old)
    with Catalogue(catalogue_db_url) as cat:
        [back] = list_exports(cat, 2026)
        assert len(list_exports(cat)) == 2
    assert back.sketch == rec.sketch and back.tables == rec.tables and back.id is not None
    assert (back.info_types, back.individuals, back.unsketched_sensitive) == (
        rec.info_types, 12_000, 10)
