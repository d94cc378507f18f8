"""Directory targets: recursion, include/exclude globs, hidden files, SQLite files by header."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

import pytest

from fenji.errors import SourceError
from fenji.sources import DatabaseSource, Source, open_sources


def tree(root: Path) -> Path:
    files = {
        "people.csv": "id,name\n001,a\n",
        "sub/orders.csv": "id,total\n1,2\n",
        "sub/deep/events.jsonl": '{"id": "1"}\n',
        "archive/old.csv": "id\n1\n",
        "archive/2020/older.csv": "id\n1\n",
        "notes.txt": "not a table",
        "image.png": "\x89PNG",
        ".hidden.csv": "id\n1\n",
        ".git/config.csv": "id\n1\n",
        "other.db": "not sqlite at all",
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    con = sqlite3.connect(root / "catalogue.db")
    con.execute("CREATE TABLE scans (id INTEGER PRIMARY KEY, name TEXT)")
    con.execute("INSERT INTO scans (name) VALUES ('x')")
    con.commit()
    con.close()
    return root


def found(root: Path, include: Sequence[str] = (), exclude: Sequence[str] = ()) -> list[str]:
    names = []
    for item in open_sources([str(root)], include=include, exclude=exclude):
        assert isinstance(item, Source), item
        names.append(Path(item.uri).relative_to(root).as_posix())
        item.close()
    return names


def test_directory_is_recursive_and_skips_hidden_and_unsupported(tmp_path: Path) -> None:
    assert found(tree(tmp_path)) == [
        "catalogue.db",
        "people.csv",
        "archive/old.csv",
        "archive/2020/older.csv",
        "sub/orders.csv",
        "sub/deep/events.jsonl",
    ]


def test_sqlite_file_in_directory_is_a_database_source(tmp_path: Path) -> None:
    tree(tmp_path)
    (db,) = [s for s in open_sources([str(tmp_path)]) if isinstance(s, DatabaseSource)]
    assert db.kind == "sqlite"
    (table,) = db.tables()
    assert not isinstance(table, SourceError)
    assert (table.name, table.row_count()) == ("scans", (1, True))
    db.close()


@pytest.mark.parametrize(
    ("include", "exclude", "expected"),
    [
        (["*.csv"], [], ["people.csv", "archive/old.csv", "archive/2020/older.csv",
                         "sub/orders.csv"]),
        (["sub/*"], [], ["sub/orders.csv", "sub/deep/events.jsonl"]),
        ([], ["archive/**", "*.db"], ["people.csv", "sub/orders.csv", "sub/deep/events.jsonl"]),
        ([], ["archive", "sub"], ["catalogue.db", "people.csv"]),
        (["*.csv"], ["orders.csv", "archive/*"], ["people.csv"]),
        (["*.CSV"], [], []),  # globs are case-sensitive
    ],
)  # fmt: skip
def test_include_exclude(
    tmp_path: Path, include: list[str], exclude: list[str], expected: list[str]
) -> None:
    assert found(tree(tmp_path), include=include, exclude=exclude) == expected


def test_several_targets_keep_going_after_an_error(tmp_path: Path) -> None:
    tree(tmp_path)
    items = list(open_sources([str(tmp_path / "missing"), str(tmp_path / "people.csv")]))
    assert isinstance(items[0], SourceError) and "missing" in str(items[0])
    assert isinstance(items[1], Source) and items[1].kind == "csv"


def test_tables_glob_narrows_sqlite_files(tmp_path: Path) -> None:
    path = tmp_path / "app.sqlite"
    con = sqlite3.connect(path)
    for name in ("src_people", "src_orders", "audit_log"):
        con.execute(f"CREATE TABLE {name} (id TEXT)")
    con.commit()
    con.close()
    (source,) = open_sources([str(path)], tables="src_*")
    assert isinstance(source, Source)
    names = [t.name for t in source.tables() if not isinstance(t, SourceError)]
    assert names == ["src_orders", "src_people"]
    source.close()
