"""CatalogueFacts: policy facts read from scans stored in a real (SQLite) catalogue."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
import typer
from faker import Faker
from typer.testing import CliRunner

from fenji import cli_check
from fenji.catalogue import Catalogue
from fenji.individuals import SketchBuilder, hmac_key, key_fingerprint, union_estimate
from fenji.model import (
    ColumnProfile,
    Grade,
    Individuals,
    InfoTypeHit,
    ScanResult,
    SourceProfile,
    TableProfile,
)
from fenji.policy import check
from fenji.policy.catalogue_facts import CatalogueFacts
from fenji.scan import ScanOptions, scan

EXAMPLES = Path(__file__).parents[1] / "examples"
T0 = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)
GENERAL = "GB/T 43697-2024"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FENJI_KEY", "00112233445566778899aabbccddeeff")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("FENJI_CATALOGUE", raising=False)


def sketch(people: range) -> bytes:
    b = SketchBuilder()
    b.update_ints(people)
    return b.serialize()


def col(name: str, info_type: str | None = None, sensitive: bool = False) -> ColumnProfile:
    hits = (InfoTypeHit(info_type, 0.95, 950, 1000, info_type.lower()),) if info_type else ()
    return ColumnProfile(name=name, dtype="str", non_empty=1000, info_types=hits,
                         sensitive=sensitive)


def table(name: str, columns: tuple[ColumnProfile, ...], people: range | None = None, *,
          rows: int = 5000, level: str = "general-3", rank: int = 3, scheme: str = GENERAL,
          minors: int | None = None) -> TableProfile:
    ind = None
    if people is not None:
        ind = Individuals(estimate=len(people), key="CN_MOBILE_PHONE", column=columns[0].name,
                          sketch=sketch(people), minors_under_14=minors)
    return TableProfile(name=name, rows=rows, rows_exact=True, rows_sampled=min(rows, 1000),
                        columns=columns, individuals=ind, grade=Grade(scheme, level, rank))


def save(cat: Catalogue, *tables: TableProfile, started: datetime = T0,
         key: str | None = "k1") -> int:
    result = ScanResult(sources=(SourceProfile(uri="data.csv", kind="csv", tables=tables),),
                        pack="general", catalogue_version="gbt35273-2020", started_at=started,
                        finished_at=started + timedelta(seconds=5), sample=1000)
    return cat.save_scan(result, key_id=key)


@pytest.fixture
def cat(tmp_path: Path) -> Catalogue:
    return Catalogue(f"sqlite:///{tmp_path / 'cat.db'}")


def test_facts_of_a_plain_pi_table(cat: Catalogue) -> None:
    save(cat, table("clients", (col("phone", "CN_MOBILE_PHONE"), col("name", "PERSON_NAME"),
                                col("note")), range(0, 3000)))
    facts = CatalogueFacts(cat).table_facts("clients")
    assert facts is not None
    assert set(facts.info_types) == {"CN_MOBILE_PHONE", "PERSON_NAME"}
    assert facts.individuals == 3000 and facts.sketch is not None
    assert union_estimate([facts.sketch]) == pytest.approx(3000, rel=0.03)
    assert facts.sensitive_individuals == 0 and facts.sensitive_sketch is None
    assert facts.level == "general-3" and facts.important_data is False
    assert CatalogueFacts(cat).table_facts("nowhere") is None


def test_a_sensitive_column_makes_every_person_of_the_table_sensitive(cat: Catalogue) -> None:
    save(cat, table("patients", (col("phone", "CN_MOBILE_PHONE"),
                                 col("diagnosis", "HEALTH_INFO", sensitive=True)),
                    range(0, 800), level="general-4", rank=4, minors=12))
    facts = CatalogueFacts(cat).table_facts("patients")
    assert facts is not None
    assert facts.sensitive_individuals == facts.individuals == 800
    assert facts.sensitive_sketch == facts.sketch
    assert facts.minors_under_14 == 12 and facts.level == "general-4"


def test_minors_are_sensitive_even_without_a_sensitive_column(cat: Catalogue) -> None:
    save(cat, table("pupils", (col("phone", "CN_MOBILE_PHONE"),), range(0, 500), minors=40))
    facts = CatalogueFacts(cat).table_facts("pupils")
    assert facts is not None
    assert facts.sensitive_individuals == 40 and facts.sensitive_sketch is None


def test_without_an_identifier_column_rows_bound_the_people(cat: Catalogue) -> None:
    save(cat, table("visits", (col("addr", "ADDRESS"),), None, rows=7000),
         table("weather", (col("temp"),), None, rows=9000))
    provider = CatalogueFacts(cat)
    visits, weather = provider.table_facts("visits"), provider.table_facts("weather")
    assert visits is not None and visits.individuals == 7000 and visits.sketch is None
    assert weather is not None and weather.individuals == 0 and weather.info_types == ()


@pytest.mark.parametrize(
    ("scheme", "level", "rank", "important", "level_id"),
    [
        (GENERAL, "important", 5, True, "important"),
        (GENERAL, "core", 6, True, "core"),
        (GENERAL, "general-4", 4, False, "general-4"),
        (GENERAL, "automotive-important", 5, True, None),  # rank 5 of the general scheme
        ("JR/T 0197-2020", "L5", 5, False, "L5"),  # the top financial level is not DSL important
    ],
)
def test_important_data_and_level_come_from_the_table_grade(
    cat: Catalogue, scheme: str, level: str, rank: int, important: bool, level_id: str | None
) -> None:
    save(cat, table("t", (col("phone", "CN_MOBILE_PHONE"),), range(10), level=level, rank=rank,
                    scheme=scheme))
    facts = CatalogueFacts(cat).table_facts("t")
    assert facts is not None
    assert facts.important_data is important and facts.level == level_id


def test_the_newest_complete_scan_is_used(cat: Catalogue) -> None:
    save(cat, table("clients", (col("phone", "CN_MOBILE_PHONE"),), range(0, 100)))
    scan2 = save(cat, table("clients", (col("phone", "CN_MOBILE_PHONE"),
                                        col("id", "CN_RESIDENT_ID", sensitive=True)),
                            range(0, 250)), started=T0 + timedelta(days=1))
    provider = CatalogueFacts(cat)
    facts = provider.table_facts("clients")
    assert facts is not None and facts.individuals == 250 and facts.sensitive_individuals == 250
    assert provider.scans == {"clients": scan2}


def test_sketches_of_another_hmac_key_are_not_merged(cat: Catalogue) -> None:
    save(cat, table("a", (col("phone", "CN_MOBILE_PHONE"),), range(0, 1000)), key="k1")
    save(cat, table("b", (col("phone", "CN_MOBILE_PHONE"),), range(0, 1000)), key="k2")
    provider = CatalogueFacts(cat)
    a, b = provider.table_facts("a"), provider.table_facts("b")
    assert a is not None and a.sketch is not None and provider.key_id == "k1"
    assert b is not None and b.sketch is None and b.individuals == 1000


def _export(tmp_path: Path, *tables: str) -> Path:
    act = tmp_path / "export.yaml"
    data = "".join(f"    - catalogue: {t}\n" for t in tables)
    act.write_text(
        "processor: {name: Acme Shanghai}\n"
        "activity:\n  kind: export\n  purpose: support\n  legal_basis: consent\n"
        "  recipient: {name: Acme GmbH, country: DE, role: controller}\n"
        f"  data:\n{data}"
        "  safeguards: {separate_consent: true, pia_done: true}\n", "utf-8")
    return act


def test_check_unions_overlapping_catalogue_tables(cat: Catalogue, tmp_path: Path) -> None:
    save(cat, table("people", (col("phone", "CN_MOBILE_PHONE"),), range(0, 70_000)),
         table("orders", (col("phone", "CN_MOBILE_PHONE"),), range(40_000, 110_000)))
    decision = check(_export(tmp_path, "people", "orders"), CatalogueFacts(cat),
                     today=date(2026, 5, 1))
    # 70,000 + 70,000 with 30,000 in common: ~110,000, past the 100,000 threshold
    assert decision.facts["facts.individuals"] == pytest.approx(110_000, rel=0.03)
    assert decision.facts["facts.upper_bound"] is False
    assert decision.route == "standard_contract_or_certification"
    decision = check(_export(tmp_path, "people"), CatalogueFacts(cat), today=date(2026, 5, 1))
    assert decision.route == "exempt"


app = typer.Typer()
app.command("check")(cli_check.check_command)
runner = CliRunner()


def test_check_cli_reads_the_catalogue_it_is_given(cat: Catalogue, tmp_path: Path) -> None:
    save(cat, table("people", (col("phone", "CN_MOBILE_PHONE"),), range(0, 20_000)),
         table("orders", (col("phone", "CN_MOBILE_PHONE"),
                          col("dx", "HEALTH_INFO", sensitive=True)), range(10_000, 25_000)))
    example = str(EXAMPLES / "export_from_catalogue.yaml")
    result = runner.invoke(app, [example, "--catalogue", str(cat.url.render_as_string()),
                                 "-f", "json", "--today", "2026-06-01"])
    doc = json.loads(result.stdout)
    assert doc["facts"]["facts.individuals"] == pytest.approx(25_000, rel=0.03)
    assert doc["facts"]["facts.sensitive_individuals"] == 15_000
    # 15,000 people with sensitive PI (all of "orders"): past 10,000, a security assessment
    assert doc["route"] == "security_assessment"
    assert any(f["code"] == "XB03" for f in doc["findings"])
    # a table missing from the catalogue is an error naming the key
    cat2 = f"sqlite:///{tmp_path / 'empty.db'}"
    result = runner.invoke(app, [example, "--catalogue", cat2])
    assert result.exit_code == 2
    assert "activity.data[0].catalogue: table 'people' not in catalogue" in result.output


def test_check_uses_the_default_catalogue_only_when_it_exists(tmp_path: Path) -> None:
    example = str(EXAMPLES / "export_from_catalogue.yaml")
    result = runner.invoke(app, [example])
    assert result.exit_code == 2 and "no catalogue given" in result.output
    default = tmp_path / "xdg" / "fenji" / "catalogue.db"
    assert not default.exists()  # check never creates one
    with Catalogue(f"sqlite:///{default}") as cat:
        save(cat, table("people", (col("phone", "CN_MOBILE_PHONE"),), range(0, 500)),
             table("orders", (col("phone", "CN_MOBILE_PHONE"),), range(0, 500)))
    result = runner.invoke(app, [example, "-f", "json", "--today", "2026-06-01"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["facts"]["facts.individuals"] == pytest.approx(500, rel=0.03)


def test_facts_from_a_real_scan_of_a_generated_file(cat: Catalogue, tmp_path: Path) -> None:
    fake = Faker("zh_CN")
    fake.seed_instance(7)
    n = 300
    ids = [fake.ssn() for _ in range(n)]
    df = pl.DataFrame({"姓名": [fake.name() for _ in range(n)], "身份证号": ids,
                       "手机号": [fake.phone_number() for _ in range(n)]})
    path = tmp_path / "kunden.csv"
    df.write_csv(path)
    key = hmac_key()
    result = scan([str(path)], ScanOptions(sample=None), key=key, today=date(2026, 5, 1))
    cat.save_scan(result, key_id=key_fingerprint(key))
    facts = CatalogueFacts(cat).table_facts("kunden")
    assert facts is not None
    assert "CN_RESIDENT_ID" in facts.info_types
    assert facts.individuals == pytest.approx(len(set(ids)), abs=3)
    profile = result.sources[0].tables[0]
    assert profile.grade is not None and facts.level == profile.grade.level
    # resident ID numbers are sensitive PI under GB/T 35273-2020 Annex B (the default catalogue)
    assert any(c.sensitive for c in profile.columns)
    assert facts.sensitive_individuals == facts.individuals and facts.level == "general-4"
