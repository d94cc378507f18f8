"""Bad input: each problem is a one-line SourceError naming the source, and the scan goes on."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from fenji.errors import SourceError
from fenji.scan import ScanOptions, scan
from fenji.sources import Source, TableReader, open_sources


def errors_of(targets: list[str]) -> list[str]:
    return [str(s) for s in open_sources(targets) if isinstance(s, SourceError)]


def first_table(path: Path) -> TableReader:
    (source,) = open_sources([str(path)])
    assert isinstance(source, Source), source
    (table,) = source.tables()
    assert isinstance(table, TableReader), table
    return table


def assert_one_line(message: str, names: str) -> None:
    assert "\n" not in message
    assert names in message


def test_missing_file(tmp_path: Path) -> None:
    (msg,) = errors_of([str(tmp_path / "nope.csv")])
    assert_one_line(msg, "nope.csv")
    assert "no such file" in msg


def test_empty_file_is_an_error_but_header_only_is_a_table(tmp_path: Path) -> None:
    (tmp_path / "zero.csv").write_bytes(b"")
    (tmp_path / "head.csv").write_text("id,name\n")
    (msg,) = errors_of([str(tmp_path / "zero.csv")])
    assert_one_line(msg, "zero.csv")
    assert "empty file" in msg
    assert first_table(tmp_path / "head.csv").row_count() == (0, True)


def test_binary_csv(tmp_path: Path) -> None:
    path = tmp_path / "img.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (msg,) = errors_of([str(path)])
    assert_one_line(msg, "img.csv")
    assert "binary" in msg


def test_undecodable_bytes(tmp_path: Path) -> None:
    path = tmp_path / "noise.csv"
    path.write_bytes(bytes(range(0x80, 0x100)) * 40)
    (msg,) = errors_of([str(path)])
    assert_one_line(msg, "noise.csv")
    assert "undecodable encoding" in msg


def test_undecodable_bytes_after_the_sniffed_head(tmp_path: Path) -> None:
    head = "id,name\n" + "".join(f"{i:06d},名字\n" for i in range(12_000))  # > 64 KB
    utf8 = tmp_path / "late_utf8.csv"
    utf8.write_bytes(head.encode() + b"1,\xff\xfe\n")
    gbk = tmp_path / "late_gbk.csv"
    gbk.write_bytes(head.encode("gbk") + b"1,\x81\x20\n")
    for path in (utf8, gbk):
        table = first_table(path)
        with pytest.raises(SourceError, match="undecodable encoding") as err:
            table.sample(10, seed=1)
        assert_one_line(str(err.value), path.name)


def test_ragged_rows_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text('id,name\n1,"two\nlines"\n2,b\n3,c,EXTRA-VALUE\n4,d\n')
    table = first_table(path)
    for attempt in (table.row_count, lambda: table.sample(2, seed=1)):
        with pytest.raises(SourceError, match="ragged rows: line 5") as err:
            attempt()
        assert_one_line(str(err.value), "ragged.csv")
        assert "EXTRA-VALUE" not in str(err.value)  # never cell contents
    # A streamed read counts rows without parsing them, and checks each batch as it comes.
    with pytest.raises(SourceError, match="ragged rows: line 5"):
        list(first_table(path).iter_batches(["id"], 2))
    (source,) = scan([str(path)], ScanOptions(sample=None)).sources
    assert not source.tables
    assert any("ragged rows: line 5" in e for e in source.errors)


def test_corrupt_parquet(tmp_path: Path) -> None:
    good = tmp_path / "good.parquet"
    pl.DataFrame({"a": list(range(100))}).write_parquet(good)
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(good.read_bytes()[:-40])  # footer cut off
    found = list(open_sources([str(bad), str(good)]))
    assert isinstance(found[0], SourceError)
    assert_one_line(str(found[0]), "bad.parquet")
    assert "Parquet" in str(found[0])
    assert isinstance(found[1], Source)  # the scan went on


def test_corrupt_xlsx_and_json(tmp_path: Path) -> None:
    (tmp_path / "bad.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    (tmp_path / "bad.json").write_text('[{"id": "110101199003074514"}, {"id": ')
    (tmp_path / "scalar.json").write_text('"just a string"')
    (msg,) = errors_of([str(tmp_path / "bad.xlsx")])
    assert_one_line(msg, "bad.xlsx")
    for name in ("bad.json", "scalar.json"):
        table = first_table(tmp_path / name)
        with pytest.raises(SourceError) as err:
            table.sample(5, seed=1)
        assert_one_line(str(err.value), name)
        assert "JSON" in str(err.value)
        assert "110101199003074514" not in str(err.value)


def test_unsupported_file_named_directly(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    (msg,) = errors_of([str(path)])
    assert_one_line(msg, "notes.txt")
    assert ".csv" in msg and ".parquet" in msg  # lists the valid choices


def test_unknown_url_scheme_lists_valid_ones() -> None:
    (msg,) = errors_of(["oracle://scott:tiger@db/orcl"])
    assert "unknown URL scheme 'oracle'" in msg
    assert "postgresql" in msg and "mysql" in msg and "sqlite" in msg
    assert "tiger" not in msg


def test_non_sqlite_db_named_directly(tmp_path: Path) -> None:
    path = tmp_path / "fake.db"
    path.write_text("not a database")
    (msg,) = errors_of([str(path)])
    assert_one_line(msg, "fake.db")
    assert "not a SQLite database" in msg
    (msg,) = errors_of([f"sqlite:///{tmp_path / 'missing.db'}"])
    assert "no such file" in msg
