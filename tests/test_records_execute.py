"""Rights execution (fenji.records.execute) on real SQLite, PostgreSQL and MariaDB databases:
access packages, deletion and masking of exactly the subject's rows, dry runs, rollback."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import sqlalchemy as sa

from fenji.catalogue import resolve_url
from fenji.errors import ConfigError, InputError, SourceError
from fenji.records.execute import erase, export
from fenji.records.sqlmatch import Identifier
from fenji.records.subject_map import parse_subject_map

PHONE = "13800138000"  # the subject
OTHER = "13900139000"
ID_NO = "110101199003074514"
# The subject's phone as it is stored in the wild: formatted, with +86, in full-width digits.
SUBJECT_FORMS = ["138-0013-8000", "+86 138 0013 8000", "１３８００１３８０００"]


def _schema(md: sa.MetaData) -> dict[str, sa.Table]:
    members = sa.Table(
        "rec_members", md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("姓名", sa.String(50)),
        sa.Column("手机号", sa.String(40)),
        sa.Column("id_no", sa.String(30)),
    )
    orders = sa.Table(
        "rec_orders", md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("member_id", sa.Integer, sa.ForeignKey("rec_members.id")),
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("phone", sa.String(40)),
    )
    items = sa.Table(
        "rec_items", md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("order_id", sa.Integer, sa.ForeignKey("rec_orders.id")),
        sa.Column("sku", sa.String(20)),
    )
    other = sa.Table(  # same kind of data, but not in the subject map: must never be touched
        "rec_other", md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("phone", sa.String(40)),
    )
    nopk = sa.Table("rec_nopk", md, sa.Column("phone", sa.String(40)))
    return {"members": members, "orders": orders, "items": items, "other": other, "nopk": nopk}


def _fill(engine: sa.Engine) -> None:
    md = sa.MetaData()
    t = _schema(md)
    md.create_all(engine)
    members = [{"id": i + 1, "姓名": f"用户{i}", "手机号": f, "id_no": None}
               for i, f in enumerate(SUBJECT_FORMS)]
    members += [{"id": 10 + i, "姓名": f"其他{i}", "手机号": f"1390013{9000 + i}", "id_no": None}
                for i in range(5)]
    members.append({"id": 20, "姓名": "证件", "手机号": None, "id_no": "110101 19900307 4514"})
    orders = [{"id": 100 + m["id"], "member_id": m["id"], "address": f"地址{m['id']}",
               "phone": OTHER} for m in members]
    orders.append({"id": 500, "member_id": 10, "address": "guest", "phone": PHONE})  # by phone
    items = [{"id": 1000 + o["id"], "order_id": o["id"], "sku": "A"} for o in orders]
    with engine.begin() as conn:
        conn.execute(t["members"].insert(), members)
        conn.execute(t["orders"].insert(), orders)
        conn.execute(t["items"].insert(), items)
        conn.execute(t["other"].insert(), [{"id": 1, "phone": PHONE}, {"id": 2, "phone": OTHER}])
        conn.execute(t["nopk"].insert(), [{"phone": PHONE}])


@pytest.fixture(scope="module", params=["sqlite", "pg", "mysql"])
def _database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[str]:
    """One empty database per backend for this module (a new database on PG/MariaDB)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('rec') / 'shop.db'}"
        return
    base = resolve_url(request.getfixturevalue(f"{request.param}_url"))
    name = f"rec_test_{secrets.token_hex(6)}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        force = " WITH (FORCE)" if request.param == "pg" else ""
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE {name}{force}"))
        admin.dispose()


@pytest.fixture
def db_url(_database: str) -> Iterator[str]:
    """The module's database with freshly filled rec_* tables."""
    engine = sa.create_engine(resolve_url(_database))
    md = sa.MetaData()
    _schema(md)
    md.drop_all(engine)
    _fill(engine)
    engine.dispose()
    yield _database


def _map(url: str, **overrides: Any) -> Any:
    tables: dict[str, Any] = {
        "rec_members": {"identifiers": {"手机号": "CN_MOBILE_PHONE", "id_no": "CN_RESIDENT_ID"},
                        "on_delete": "delete"},
        "rec_orders": {"identifiers": {"phone": "CN_MOBILE_PHONE"},
                       "foreign_keys": [{"column": "member_id", "references": "rec_members.id"}],
                       "on_delete": "delete"},
        "rec_items": {"foreign_keys": [{"column": "order_id", "references": "rec_orders.id"}],
                      "on_delete": "delete"},
    }
    tables.update(overrides)
    return parse_subject_map({"databases": {"shop": {"url": url, "tables": tables}}}, "map.yaml")


def _ids(engine: sa.Engine, table: str) -> set[int]:
    with engine.connect() as conn:
        return {r[0] for r in conn.execute(sa.text(f"SELECT id FROM {table}"))}


def _snapshot(url: str) -> dict[str, set[int]]:
    engine = sa.create_engine(resolve_url(url))
    try:
        return {t: _ids(engine, t) for t in ("rec_members", "rec_orders", "rec_items", "rec_other")}
    finally:
        engine.dispose()


SUBJECT = [Identifier("CN_MOBILE_PHONE", "+86 138-0013-8000")]
# Rows of the subject: members 1-3 (three spellings of the phone), their orders 101-103, the
# guest order 500 (phone on the order) and the items of those orders.
SUBJECT_ROWS = {"rec_members": {1, 2, 3}, "rec_orders": {101, 102, 103, 500},
                "rec_items": {1101, 1102, 1103, 1500}}


def test_access_package_is_complete_and_only_the_subject(db_url: str, tmp_path: Path) -> None:
    result = export(_map(db_url), SUBJECT, tmp_path / "out", "request-1", meta={"request": 1})
    pkg = tmp_path / "out" / "request-1"
    assert result.package == pkg
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["request-1"]  # no temp dir
    manifest = json.loads((pkg / "manifest.json").read_text("utf-8"))
    assert manifest["request"] == 1
    for table, ids in SUBJECT_ROWS.items():
        rows = json.loads((pkg / f"shop.{table}.json").read_text("utf-8"))
        assert {r["id"] for r in rows} == ids
        assert set(pl.read_csv(pkg / f"shop.{table}.csv")["id"].to_list()) == ids
        assert {(t["table"], t["rows"]) for t in manifest["tables"]} >= {(table, len(ids))}
    members = json.loads((pkg / "shop.rec_members.json").read_text("utf-8"))
    assert {m["姓名"] for m in members} == {"用户0", "用户1", "用户2"}


def test_export_never_overwrites(db_url: str, tmp_path: Path) -> None:
    (tmp_path / "request-1").mkdir()
    with pytest.raises(InputError, match="refusing to overwrite"):
        export(_map(db_url), SUBJECT, tmp_path, "request-1")


def test_deletion_removes_exactly_the_subjects_rows(db_url: str) -> None:
    before = _snapshot(db_url)
    result = erase(_map(db_url), SUBJECT)
    after = _snapshot(db_url)
    for table, ids in SUBJECT_ROWS.items():
        assert after[table] == before[table] - ids
    assert after["rec_other"] == before["rec_other"]  # outside the plan
    assert {(c.table, c.rows, c.action) for c in result.tables} == {
        (t, len(ids), "delete") for t, ids in SUBJECT_ROWS.items()}


def test_dry_run_counts_and_changes_nothing(db_url: str) -> None:
    before = _snapshot(db_url)
    dry = erase(_map(db_url), SUBJECT, dry_run=True)
    assert _snapshot(db_url) == before
    assert dry.dry_run and {c.table: c.rows for c in dry.tables} == {
        t: len(ids) for t, ids in SUBJECT_ROWS.items()}
    real = erase(_map(db_url), SUBJECT)
    assert [c.rows for c in real.tables] == [c.rows for c in dry.tables]


def test_masking_keeps_rows_and_blanks_columns(db_url: str) -> None:
    smap = _map(db_url,
                rec_members={"identifiers": {"手机号": "CN_MOBILE_PHONE"}, "on_delete": "mask",
                             "mask": {"姓名": None, "手机号": "***"}},
                rec_orders={"foreign_keys": [{"column": "member_id",
                                              "references": "rec_members.id"}],
                            "on_delete": "mask", "mask": {"address": "***"}},
                rec_items={"foreign_keys": [{"column": "order_id", "references": "rec_orders.id"}],
                           "on_delete": "keep", "reason": "accounting records"})
    before = _snapshot(db_url)
    erase(smap, SUBJECT)
    assert _snapshot(db_url) == before  # no row deleted
    engine = sa.create_engine(resolve_url(db_url))
    with engine.connect() as conn:
        members = dict(conn.execute(sa.text("SELECT id, 手机号 FROM rec_members")).all())
        addresses = dict(conn.execute(sa.text("SELECT id, address FROM rec_orders")).all())
    engine.dispose()
    assert {i for i, v in members.items() if v == "***"} == {1, 2, 3}
    # The orders were matched through the members before those were masked.
    assert {i for i, v in addresses.items() if v == "***"} == {101, 102, 103}


def test_failure_mid_way_rolls_back(db_url: str) -> None:
    # Items are deleted first (children before parents), then masking a NOT NULL column fails.
    smap = _map(db_url,
                rec_members={"identifiers": {"手机号": "CN_MOBILE_PHONE"}, "on_delete": "mask",
                             "mask": ["姓名"]},
                rec_orders={"identifiers": {"phone": "CN_MOBILE_PHONE"}, "on_delete": "mask",
                            "mask": ["address"]})
    before = _snapshot(db_url)
    with pytest.raises(SourceError) as err:
        erase(smap, SUBJECT)
    assert _snapshot(db_url) == before
    for secret in (PHONE, "+86 138-0013-8000"):
        assert secret not in str(err.value)


def test_no_primary_key_is_refused(db_url: str) -> None:
    smap = _map(db_url, rec_nopk={"identifiers": {"phone": "CN_MOBILE_PHONE"}})
    before = _snapshot(db_url)
    with pytest.raises(InputError, match="rec_nopk.*no primary key"):
        erase(smap, SUBJECT)
    assert _snapshot(db_url) == before


def test_unknown_table_and_column_are_named(db_url: str) -> None:
    with pytest.raises(InputError, match="no table 'rec_nope'.*rec_members"):
        erase(_map(db_url, rec_nope={"identifiers": {"x": "EMAIL_ADDRESS"}}), SUBJECT)
    with pytest.raises(InputError, match="no column 'mail'.*手机号"):
        erase(_map(db_url, rec_members={"identifiers": {"mail": "EMAIL_ADDRESS"}}), SUBJECT)


# --- SQLite only -----------------------------------------------------------------------------


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    engine = sa.create_engine(url)
    _fill(engine)
    engine.dispose()
    return url


def test_resident_id_matches_case_insensitively(sqlite_url: str) -> None:
    result = erase(_map(sqlite_url), [Identifier("CN_RESIDENT_ID", ID_NO)], dry_run=True)
    assert {c.table: c.rows for c in result.tables}["rec_members"] == 1


def test_failure_in_a_second_database_rolls_back_the_first(sqlite_url: str,
                                                           tmp_path: Path) -> None:
    second = tmp_path / "second.db"
    engine = sa.create_engine(f"sqlite:///{second}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE rec_x (id INTEGER PRIMARY KEY, phone TEXT NOT NULL)"))
        conn.execute(sa.text("INSERT INTO rec_x VALUES (1, :p)"), {"p": PHONE})
    engine.dispose()
    first = _map(sqlite_url).databases[0]
    smap = parse_subject_map({"databases": {
        "shop": {"url": first.url, "tables": {
            "rec_members": {"identifiers": {"手机号": "CN_MOBILE_PHONE"}}}},
        "crm": {"url": f"sqlite:///{second}", "tables": {
            "rec_x": {"identifiers": {"phone": "CN_MOBILE_PHONE"}, "on_delete": "mask",
                      "mask": ["phone"]}}},
    }}, "map.yaml")
    before = _snapshot(sqlite_url)
    with pytest.raises(SourceError, match="second.db"):
        erase(smap, SUBJECT)
    assert _snapshot(sqlite_url) == before


def test_missing_sqlite_file_is_an_error_not_an_empty_database(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        erase(_map(f"sqlite:///{tmp_path / 'nope.db'}"), SUBJECT)
    assert not (tmp_path / "nope.db").exists()


@pytest.mark.parametrize("tables, message", [
    ({"t": {"on_delete": "delete"}}, "identifiers or foreign_keys"),
    ({"t": {"identifiers": {"a": "PHONE"}}}, "not an info type"),
    ({"t": {"identifiers": {"a": "EMAIL_ADDRESS"}, "on_delete": "burn"}}, "on_delete"),
    ({"t": {"identifiers": {"a": "EMAIL_ADDRESS"}, "on_delete": "keep"}}, "needs a reason"),
    ({"t": {"identifiers": {"a": "EMAIL_ADDRESS"}, "on_delete": "mask"}}, "needs it"),
    ({"t": {"foreign_keys": [{"column": "a", "references": "u.id"}]}}, "not in the map"),
    ({"a": {"foreign_keys": [{"column": "x", "references": "b.id"}]},
      "b": {"foreign_keys": [{"column": "y", "references": "a.id"}]}}, "cycle"),
    ({"p": {"identifiers": {"a": "EMAIL_ADDRESS"}},
      "c": {"foreign_keys": [{"column": "x", "references": "p.id"}], "on_delete": "keep",
            "reason": "law"}}, "whose rows are deleted"),
])
def test_bad_subject_maps_are_explained(tables: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_subject_map({"databases": {"db": {"url": "sqlite:///x.db", "tables": tables}}})
