"""The catalogue (fenji.catalogue) on SQLite, PostgreSQL and MariaDB: round trips, history,
scan status, migrations, merged sketches, and no raw values stored.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from fenji import __version__
from fenji.catalogue import Catalogue, default_url, redact, resolve_url
from fenji.catalogue.migrate import current_revision, head_revision
from fenji.catalogue.models import VERSION_TABLE, Base
from fenji.errors import CatalogueError
from fenji.individuals import estimate_individuals, key_fingerprint, resident_id_birth_dates
from fenji.model import (
    ColumnProfile,
    DocumentProfile,
    Grade,
    InfoTypeHit,
    ScanResult,
    SourceProfile,
    TableProfile,
    TextFinding,
)

KEY = bytes(range(32))
RAW_ID = "110101201003074514"  # a raw value that must never reach the catalogue
RAW_PHONE = "13812345678"
T0 = datetime(2026, 5, 1, 9, 30, 15, 123456, tzinfo=UTC)


def ids(start: int, n: int) -> pl.Series:
    """``n`` distinct resident-ID-shaped strings numbered from ``start`` (vectorised)."""
    i = pl.Series(np.arange(start, start + n, dtype=np.int64))
    return ("11010119900101" + i.cast(pl.Utf8).str.zfill(4)).rename("sfzh")


def grade(level: str, rank: int, rule: str = "r1") -> Grade:
    return Grade("GB/T 43697-2024", level, rank, ("GB/T 43697-2024 Annex H",), rule)


def people_table(name: str, people: pl.Series, rank: int = 4) -> TableProfile:
    """A table whose ID column holds ``people`` (plus RAW_ID) and a phone column."""
    values = pl.concat([people, pl.Series([RAW_ID])]).to_frame("sfzh")
    individuals = estimate_individuals(
        [values],
        "sfzh",
        "CN_RESIDENT_ID",
        KEY,
        birth_dates=resident_id_birth_dates,
        today=date(2026, 5, 1),
    )
    id_col = ColumnProfile(
        name="身份证号",
        dtype="str",
        non_empty=len(values),
        info_types=(
            InfoTypeHit(
                "CN_RESIDENT_ID",
                0.99,
                991,
                1000,
                "cn_resident_id",
                (("name_hint", "身份证号"), ("checksum_valid", 991), ("ratio", 0.991)),
            ),
        ),
        category="personal.identity",
        sensitive=True,
        role="direct",
        grade=grade(f"general-{rank}", rank),
        samples=("110***********4514", "110***********0012"),
    )
    phone_col = ColumnProfile(
        name="phone",
        dtype="str",
        non_empty=1000,
        info_types=(
            InfoTypeHit("CN_MOBILE_PHONE", 0.97, 970, 1000, "cn_mobile"),
            InfoTypeHit("QQ_NUMBER", 0.4, 400, 1000, "qq"),
        ),
        category="personal.contact",
        role="direct",
        grade=grade("general-3", 3),
        samples=("138****5678",),
    )
    note_col = ColumnProfile(name="note", dtype="str", non_empty=12)
    return TableProfile(
        name=name,
        rows=len(values),
        rows_exact=True,
        rows_sampled=min(len(values), 1000),
        columns=(id_col, phone_col, note_col),
        individuals=individuals,
        grade=grade(f"general-{rank}", rank, "table-max"),
        warnings=("column note: mixed types",),
    )


def scan_result(
    tables: dict[str, TableProfile] | None = None,
    *,
    started: datetime = T0,
    complete: bool = True,
    uri: str = "people.csv",
) -> ScanResult:
    """A scan of one file source (the given tables) and one text document."""
    tables = tables if tables is not None else {"people": people_table("people", ids(0, 500))}
    doc = DocumentProfile(
        name="notes.txt",
        chars=120,
        findings=(TextFinding("CN_MOBILE_PHONE", 5, 16, 0.9, "138****5678", "cn_mobile"),),
        grade=grade("general-3", 3),
    )
    return ScanResult(
        sources=(
            SourceProfile(uri=uri, kind="csv", tables=tuple(tables.values()), encoding="gb18030"),
            SourceProfile(
                uri="docs/", kind="text", documents=(doc,), errors=("docs/x.bin: not text",)
            ),
        ),
        pack="general",
        catalogue_version="gbt35273-2020",
        started_at=started,
        finished_at=started + timedelta(seconds=42),
        sample=1000,
        complete=complete,
    )


# --- backends --------------------------------------------------------------------------------


@pytest.fixture
def url(catalogue_db_url: str) -> str:
    """A fresh, empty catalogue database on each backend (see conftest)."""
    return catalogue_db_url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cat.db'}"


def test_round_trip(url: str) -> None:
    result = scan_result()
    with Catalogue(url) as cat:
        scan_id = cat.save_scan(result, key_id=key_fingerprint(KEY))
        record = cat.get_scan(scan_id)
    assert record.id == scan_id and record.status == "complete"
    assert record.tool_version == __version__
    assert record.result == result  # every field, incl. sketch bytes and microseconds
    with Catalogue(url) as cat:  # and from a fresh connection
        assert cat.get_scan(scan_id).result == result
        table = cat.latest_table("people")
    assert table is not None and table.profile == result.sources[0].tables[0]
    assert table.sketch_key_id == key_fingerprint(KEY)
    assert table.source_uri == "people.csv" and table.source_kind == "csv"


def test_history_is_kept_and_latest_table_is_newest_complete(url: str) -> None:
    first = scan_result({"people": people_table("people", ids(0, 300), rank=3)})
    second = scan_result(
        {"people": people_table("people", ids(0, 800))}, started=T0 + timedelta(days=1)
    )
    broken = scan_result(
        {"people": people_table("people", ids(0, 50))},
        started=T0 + timedelta(days=2),
        complete=False,
    )
    with Catalogue(url) as cat:
        a, b, c = (cat.save_scan(r) for r in (first, second, broken))
        scans = cat.list_scans()
        assert [s.id for s in scans] == [c, b, a]
        assert [s.status for s in scans] == ["interrupted", "complete", "complete"]
        assert [s.started_at for s in scans] == [r.started_at for r in (broken, second, first)]
        latest = cat.latest_table("people")
        assert latest is not None and latest.scan_id == b
        assert latest.individuals is not None
        assert abs(latest.individuals.estimate - 801) <= 16
        assert cat.get_scan(a).result == first  # the older scan is still all there
        assert cat.get_scan(c).result.complete is False
        assert cat.latest_table("nobody") is None
        assert len(cat.list_scans(limit=1)) == 1


def test_scan_is_running_until_finished(url: str) -> None:
    result = scan_result()
    with Catalogue(url) as cat:
        scan_id = cat.begin_scan(pack="general", catalogue_version=None, sample=1000)
        assert cat.list_scans()[0].status == "running"
        assert cat.get_scan(scan_id).status == "running"
        assert cat.latest_table("people") is None  # running scans are not "latest"
        cat.finish_scan(scan_id, result)
        assert cat.get_scan(scan_id).status == "complete"
        assert cat.get_scan(scan_id).result == result
        with pytest.raises(CatalogueError, match=f"scan {scan_id} is complete"):
            cat.finish_scan(scan_id, result)

        partial = cat.begin_scan(pack="general")
        cat.finish_scan(partial, scan_result(complete=False))
        assert cat.get_scan(partial).status == "interrupted"

        stopped = cat.begin_scan(pack="general")
        cat.mark_interrupted(stopped)
        assert cat.get_scan(stopped).status == "interrupted"
        cat.mark_interrupted(scan_id)  # a complete scan stays complete
        assert cat.get_scan(scan_id).status == "complete"


class _CtrlC:
    """Stands in for a table; any attribute read is a Ctrl-C, half-way through writing."""

    def __getattr__(self, name: str) -> object:
        raise KeyboardInterrupt


def test_ctrl_c_while_storing_leaves_scan_running_and_empty(url: str) -> None:
    good = scan_result()
    src = good.sources[0]
    torn = replace(good, sources=(replace(src, tables=(*src.tables, _CtrlC())), good.sources[1]))
    with Catalogue(url) as cat:
        scan_id = cat.begin_scan(pack="general", catalogue_version="gbt35273-2020", sample=1000)
        with pytest.raises(KeyboardInterrupt):
            cat.finish_scan(scan_id, torn)  # type: ignore[arg-type]
        record = cat.get_scan(scan_id)
        assert record.status == "running"
        assert record.result.sources == ()  # the first table was not half-stored
        assert cat.list_scans()[0].tables == 0


def test_migrations_idempotent_and_match_models(url: str) -> None:
    Catalogue(url).close()
    with Catalogue(url) as cat, cat.engine.connect() as conn:
        assert current_revision(conn) == head_revision()
        ctx = MigrationContext.configure(
            conn, opts={"compare_type": True, "version_table": VERSION_TABLE}
        )
        assert compare_metadata(ctx, Base.metadata) == []
        assert conn.execute(text(f"SELECT COUNT(*) FROM {VERSION_TABLE}")).scalar() == 1


# --- SQLite only -----------------------------------------------------------------------------


def test_no_raw_values_anywhere_in_the_database(sqlite_url: str, tmp_path: Path) -> None:
    result = scan_result()
    with Catalogue(sqlite_url) as cat:
        cat.save_scan(result)
    with closing(sqlite3.connect(tmp_path / "cat.db")) as conn:
        dump = "\n".join(conn.iterdump())
    assert "110***********4514" in dump  # masked samples are stored ...
    assert "fenji_tables" in dump and "X'" in dump  # ... and so is the sketch blob
    for raw in (RAW_ID, RAW_PHONE, *ids(0, 5).to_list()):
        assert raw not in dump
        assert raw.encode().hex() not in dump.lower()


def test_list_scans_counts_and_highest_grade(sqlite_url: str) -> None:
    tables = {
        "people": people_table("people", ids(0, 10), rank=3),
        "staff": people_table("staff", ids(100, 10), rank=4),
    }
    with Catalogue(sqlite_url) as cat:
        scan_id = cat.save_scan(scan_result(tables))
        (summary,) = cat.list_scans()
    assert summary.id == scan_id
    assert (summary.sources, summary.tables, summary.pi_columns) == (2, 2, 4)
    assert summary.highest_grade is not None
    assert (summary.highest_grade.level, summary.highest_grade.rank) == ("general-4", 4)
    assert (summary.pack, summary.catalogue_version, summary.sample) == (
        "general",
        "gbt35273-2020",
        1000,
    )


def test_merge_sketches_counts_a_person_once(sqlite_url: str) -> None:
    tables = {
        "clients": people_table("clients", ids(0, 3000)),
        "orders": people_table("orders", ids(2000, 3000)),  # 1,000 people in both
    }
    with Catalogue(sqlite_url) as cat:
        cat.save_scan(scan_result(tables))
        both = cat.merge_sketches(["clients", "orders"])
        assert abs(both - 5001) / 5001 < 0.02  # RAW_ID is in both tables too
        assert cat.merge_sketches(["clients"]) == cat.latest_table("clients").individuals.estimate  # type: ignore[union-attr]
        with pytest.raises(CatalogueError, match="no complete scan has table 'ghosts'"):
            cat.merge_sketches(["clients", "ghosts"])


def test_merge_sketches_refuses_mixed_keys(sqlite_url: str) -> None:
    clients = people_table("clients", ids(0, 100))
    ind = clients.individuals
    assert ind is not None
    by_phone = replace(clients, name="leads", individuals=replace(ind, key="CN_MOBILE_PHONE"))
    no_key = replace(clients, name="notes", individuals=None)
    with Catalogue(sqlite_url) as cat:
        cat.save_scan(scan_result({"c": clients, "l": by_phone, "n": no_key}), key_id="aaaa")
        cat.save_scan(
            scan_result({"o": replace(clients, name="other")}, uri="o.csv"), key_id="bbbb"
        )
        with pytest.raises(CatalogueError, match="different identifier types.*mixed_keys"):
            cat.merge_sketches(["clients", "leads"])
        assert cat.merge_sketches(["clients", "leads"], mixed_keys=True) == ind.estimate
        with pytest.raises(CatalogueError, match="different HMAC keys"):
            cat.merge_sketches(["clients", "other"])
        with pytest.raises(CatalogueError, match="'notes'.*no individuals sketch"):
            cat.merge_sketches(["notes"])


def test_same_table_name_in_two_sources_needs_a_source_uri(sqlite_url: str) -> None:
    result = scan_result()
    two = replace(result, sources=(*result.sources, replace(result.sources[0], uri="b/people.csv")))
    with Catalogue(sqlite_url) as cat:
        cat.save_scan(two)
        with pytest.raises(CatalogueError, match="2 sources.*b/people.csv, people.csv"):
            cat.latest_table("people")
        rec = cat.latest_table("people", "b/people.csv")
        assert rec is not None and rec.source_uri == "b/people.csv"
        assert cat.merge_sketches([("people", "people.csv"), ("people", "b/people.csv")]) > 0


def test_get_scan_unknown_id(sqlite_url: str) -> None:
    with Catalogue(sqlite_url) as cat:
        with pytest.raises(CatalogueError, match="no scan 7; the catalogue has no scans"):
            cat.get_scan(7)
        cat.save_scan(scan_result())
        with pytest.raises(CatalogueError, match="no scan 7; scan ids run 1 to 1"):
            cat.get_scan(7)


def test_newer_schema_is_refused(sqlite_url: str) -> None:
    with Catalogue(sqlite_url) as cat, cat.engine.begin() as conn:
        conn.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = '9999'"))
    with pytest.raises(CatalogueError, match="revision '9999' is newer.*known revisions: 0001"):
        Catalogue(sqlite_url)


# --- where the catalogue lives ---------------------------------------------------------------


def test_default_location_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FENJI_CATALOGUE", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_url() == f"sqlite:///{tmp_path / 'xdg' / 'fenji' / 'catalogue.db'}"
    with Catalogue() as cat:
        cat.save_scan(scan_result())
    assert (tmp_path / "xdg" / "fenji" / "catalogue.db").is_file()
    monkeypatch.setenv("FENJI_CATALOGUE", f"sqlite:///{tmp_path / 'env' / 'c.db'}")
    with Catalogue() as cat:
        assert cat.list_scans() == []  # a different, new catalogue
    assert (tmp_path / "env" / "c.db").is_file()
    with Catalogue(f"sqlite:///{tmp_path / 'arg.db'}") as cat:  # the argument wins
        assert cat.list_scans() == []


def test_urls_get_installed_drivers_and_hide_passwords() -> None:
    assert resolve_url("postgresql://u:pw@h/db").drivername == "postgresql+psycopg"
    assert resolve_url("mysql://u@h/db").drivername == "mysql+pymysql"
    assert resolve_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"
    assert redact("postgresql://u:hunter22@h/db") == "postgresql://u:***@h/db"
    with pytest.raises(CatalogueError, match="could not be parsed") as err:
        Catalogue("not a url with hunter22")
    assert "hunter22" not in str(err.value)


def test_unreachable_database_message_hides_password(pg_url: str) -> None:
    bad = resolve_url(pg_url).set(password="hunter22secret", database="fenji_cat_no_such_db")
    with pytest.raises(CatalogueError) as err:
        Catalogue(bad.render_as_string(hide_password=False))
    message = str(err.value)
    assert "hunter22secret" not in message
    assert "***" in message and "fenji_cat_no_such_db" in message
    assert "\n" not in message


def test_compute_runs_table_made_before_revision_0004_is_kept(tmp_path: Path) -> None:
    # fenji 0.1 created fenji_compute_runs with create_all on a catalogue at revision 0003.
    from alembic import command
    from sqlalchemy import create_engine, insert, select

    from fenji.catalogue.compute_runs import runs
    from fenji.catalogue.migrate import alembic_config

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0003")
        runs.create(conn)
        conn.execute(insert(runs).values(
            run_id="r1", command="psi", protocol="openmined-psi", role="serve", parties=[],
            tls=False, inputs={}, revealed_to_me=[], revealed_to_others=[], result={},
            status="ok", started_at=datetime(2026, 1, 1), finished_at=datetime(2026, 1, 1),
            tool_version="0.1.0",
        ))
    engine.dispose()
    with Catalogue(url) as cat, cat.engine.connect() as conn:
        assert current_revision(conn) == "0004"
        assert conn.execute(select(runs.c.run_id)).scalars().all() == ["r1"]
