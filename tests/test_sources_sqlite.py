"""SQLite sources: read-only connections, text values, repeatable spread-out samples."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa

from fenji.errors import SourceError
from fenji.sources import DatabaseSource, TableReader, open_sources


@pytest.fixture()
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "shop.sqlite3"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, code TEXT, phone, photo BLOB)")
    con.executemany(
        "INSERT INTO people (id, code, phone, photo) VALUES (?, ?, ?, ?)",
        [(i, f"{i:06d}", 13800000000 + i, b"\x00\xff") for i in range(1, 2001)],
    )
    con.execute("CREATE TABLE tags (k TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID")
    con.executemany("INSERT INTO tags VALUES (?, ?)", [(f"k{i:03d}", "v") for i in range(300)])
    con.commit()
    con.close()
    return path


def open_db(target: str) -> DatabaseSource:
    (source,) = open_sources([target])
    assert isinstance(source, DatabaseSource), source
    return source


def tables_of(source: DatabaseSource) -> dict[str, TableReader]:
    out = {}
    for table in source.tables():
        assert isinstance(table, TableReader), table
        out[table.name] = table
    return out


def test_sqlite_url_and_file_path_read_the_same(db_path: Path) -> None:
    by_url = open_db(f"sqlite:///{db_path}")
    by_path = open_db(str(db_path))
    assert by_url.uri == f"sqlite:///{db_path}" and by_path.uri == str(db_path)
    assert by_url.kind == by_path.kind == "sqlite"
    people = tables_of(by_url)["people"]
    assert people.row_count() == (2000, True)
    assert people.columns() == ["id", "code", "phone"]  # BLOB skipped
    assert any("photo" in w and "binary" in w for w in people.warnings)
    df = people.sample(None, seed=0)
    assert df.schema == pl.Schema({"id": pl.String, "code": pl.String, "phone": pl.String})
    assert df.get_column("code")[0] == "000001"
    assert tables_of(by_path)["people"].sample(20, seed=3).equals(people.sample(20, seed=3))
    by_url.close()
    by_path.close()


def test_sqlite_sample_is_repeatable_and_spread(db_path: Path) -> None:
    source = open_db(str(db_path))
    people = tables_of(source)["people"]
    first = people.sample(200, seed=11)
    assert first.height == 200
    assert first.equals(people.sample(200, seed=11))
    assert not first.equals(people.sample(200, seed=12))
    ids = first.get_column("id").cast(pl.Int64).to_numpy()
    assert len(set(ids)) == 200
    assert 700 < ids.mean() < 1300
    assert ids.min() < 200 and ids.max() > 1800
    source.close()


def test_without_rowid_table_falls_back_with_a_note(db_path: Path) -> None:
    source = open_db(str(db_path))
    tags = tables_of(source)["tags"]
    df = tags.sample(10, seed=1)
    assert df.height == 10
    assert any("first 10 rows" in w for w in tags.warnings)
    source.close()


def test_batches_cover_every_row(db_path: Path) -> None:
    source = open_db(str(db_path))
    people = tables_of(source)["people"]
    batches = list(people.iter_batches(["code"], batch_rows=300))
    assert all(b.columns == ["code"] and b.height <= 300 for b in batches)
    assert pl.concat(batches).get_column("code").sort().to_list() == [
        f"{i:06d}" for i in range(1, 2001)
    ]
    source.close()


def test_sqlite_connection_is_read_only(db_path: Path) -> None:
    before = (hashlib.sha256(db_path.read_bytes()).hexdigest(), db_path.stat().st_mtime_ns)
    source = open_db(str(db_path))
    with source.connect() as conn, pytest.raises(sa.exc.OperationalError, match="readonly"):
        conn.execute(sa.text("INSERT INTO people (code) VALUES ('x')"))
    for table in tables_of(source).values():
        table.sample(5, seed=1)
        list(table.iter_batches(table.columns()))
    source.close()
    after = (hashlib.sha256(db_path.read_bytes()).hexdigest(), db_path.stat().st_mtime_ns)
    assert after == before
    assert sorted(p.name for p in db_path.parent.iterdir()) == [db_path.name]  # no journal left


def test_in_memory_sqlite_is_refused() -> None:
    (err,) = open_sources(["sqlite://"])
    assert isinstance(err, SourceError) and "no database file" in str(err)


def test_table_of_only_binary_columns_reads_as_no_columns(tmp_path: Path) -> None:
    path = tmp_path / "blobs.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE files (body BLOB)")
    con.execute("INSERT INTO files VALUES (x'00ff')")
    con.commit()
    con.close()
    source = open_db(str(path))
    files = tables_of(source)["files"]
    assert files.columns() == [] and files.row_count() == (1, True)
    assert files.sample(5, seed=1).width == 0
    assert any("binary" in w for w in files.warnings)
    source.close()
