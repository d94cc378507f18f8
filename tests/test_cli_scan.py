"""End-to-end tests of ``fenji scan`` through the real CLI (Typer runner, real files, real DBs)."""

from __future__ import annotations

import json
import sqlite3
import sys
import uuid
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from fenji.catalogue import Catalogue
from fenji.cli import app

RAW_ID = "110101199003074514"
RAW_MOBILE = "13800138000"

runner = CliRunner()


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FENJI_KEY", "00112233445566778899aabbccddeeff")


def _people(path: Path, rows: int = 40) -> Path:
    from fenji.synth import make_tables

    df = make_tables(rows, 3)["customers"]
    df.write_csv(path)
    return path


def _scan(*args: str) -> tuple[int, str, str]:
    res = runner.invoke(app, ["scan", *args])
    return res.exit_code, res.stdout, res.stderr


def _contract(out: str) -> dict:
    return json.loads(out)


def test_json_contract_on_mixed_directory(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    _people(data / "customers.csv")
    pl.DataFrame({"sfzh": [RAW_ID, "11010519491231002X"] * 10}).write_parquet(data / "ids.parquet")
    code, out, err = _scan(str(data), "--no-catalogue", "--format", "json")
    assert code == 0, err
    report = _contract(out)
    names = {t["name"] for s in report["sources"] for t in s["tables"]}
    assert names == {"customers", "ids"}
    ids = next(t for s in report["sources"] for t in s["tables"] if t["name"] == "ids")
    col = ids["columns"][0]
    assert col["info_types"][0]["type"] == "CN_RESIDENT_ID"
    assert col["samples"] and all("*" in s for s in col["samples"])
    assert ids["individuals"] == {"estimate": 2, "key": "CN_RESIDENT_ID", "column": "sfzh",
                                  "minors_under_14": 0}
    assert report["summary"]["tables"] == 2
    assert RAW_ID not in out


@pytest.mark.parametrize("fmt", ["html", "sarif", "json", "table"])
def test_each_format_writes_a_file(tmp_path: Path, fmt: str) -> None:
    src = _people(tmp_path / "customers.csv")
    out = tmp_path / f"report.{fmt}"
    code, stdout, err = _scan(str(src), "--no-catalogue", "--format", fmt, "-o", str(out))
    assert code == 0, err
    text = out.read_text(encoding="utf-8")
    assert text
    assert RAW_MOBILE not in text
    if fmt == "sarif":
        assert json.loads(text)["version"] == "2.1.0"
    if fmt == "html":
        assert "<svg" in text
        assert "customers" in stdout  # the summary table is printed beside the file


def test_fail_on_gates_and_unknown_level(tmp_path: Path) -> None:
    src = tmp_path / "ids.csv"
    src.write_text("身份证号\n" + f"{RAW_ID}\n" * 5, encoding="utf-8")
    code, _, _ = _scan(str(src), "--no-catalogue", "-f", "json", "--fail-on", "general-4")
    assert code == 1
    code, _, _ = _scan(str(src), "--no-catalogue", "-f", "json", "--fail-on", "important")
    assert code == 0
    code, _, err = _scan(str(src), "--no-catalogue", "-f", "json", "--fail-on", "L9")
    assert code == 2 and "general-4" in err


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("missing.csv", None, "missing.csv"),
        ("binary.csv", b"a,b\n\x00\x01\x02\x00\n", "binary.csv"),
        ("corrupt.parquet", b"PAR1 not really parquet", "corrupt.parquet"),
        ("empty.csv", b"", "empty.csv"),
        ("ragged.csv", b"a,b\n1,2\n1,2,3,4\n", "ragged.csv"),
    ],
)
def test_bad_input_exit_2_and_others_still_scanned(
    tmp_path: Path, name: str, content: bytes | None, needle: str
) -> None:
    good = _people(tmp_path / "good.csv")
    bad = tmp_path / name
    if content is not None:
        bad.write_bytes(content)
    code, out, err = _scan(str(bad), str(good), "--no-catalogue", "-f", "json")
    assert code == 2
    assert needle in err
    assert "Traceback" not in err + out
    report = _contract(out)
    assert any(t["name"] == "good" for s in report["sources"] for t in s["tables"])


def test_bad_options_exit_2(tmp_path: Path) -> None:
    src = _people(tmp_path / "c.csv")
    for args in (["--sample", "lots"], ["--sample", "0"], ["--pack", "nope"],
                 ["--catalogue-version", "1999"]):
        code, _, err = _scan(str(src), "--no-catalogue", "-f", "json", *args)
        assert code == 2, args
        assert "Traceback" not in err


def test_existing_report_untouched_when_scan_fails_to_start(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    out.write_text("previous", encoding="utf-8")
    code, _, _ = _scan(str(tmp_path / "c.csv"), "--pack", "nope", "-f", "json", "-o", str(out))
    assert code == 2
    assert out.read_text(encoding="utf-8") == "previous"


def test_catalogue_records_and_keeps_history(tmp_path: Path) -> None:
    src = _people(tmp_path / "customers.csv")
    url = f"sqlite:///{tmp_path / 'cat.db'}"
    for _ in range(2):
        code, _, err = _scan(str(src), "--catalogue", url, "-f", "json")
        assert code == 0, err
    scans = Catalogue(url).list_scans()
    assert len(scans) == 2
    assert all(s.status == "complete" for s in scans)
    dump = "\n".join(sqlite3.connect(tmp_path / "cat.db").iterdump())
    assert RAW_MOBILE not in dump
    listing = runner.invoke(app, ["catalogue", "list", "--catalogue", url])
    assert listing.exit_code == 0


def test_interrupt_leaves_scan_incomplete_and_no_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = _people(tmp_path / "customers.csv")
    url = f"sqlite:///{tmp_path / 'cat.db'}"
    out = tmp_path / "r.json"

    def boom(*_a: object, **_k: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("fenji.cli_scan.scan", boom)
    code, _, _ = _scan(str(src), "--catalogue", url, "-f", "json", "-o", str(out))
    assert code == 130
    assert not out.exists()
    assert [s.status for s in Catalogue(url).list_scans()] == ["interrupted"]


def test_sqlite_database_source(tmp_path: Path) -> None:
    db = tmp_path / "shop.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE members (id INTEGER PRIMARY KEY, mobile TEXT, note TEXT)")
        conn.executemany("INSERT INTO members (mobile, note) VALUES (?, ?)",
                         [(f"1390000{i:04d}", "会员") for i in range(50)])
    code, out, err = _scan(f"sqlite:///{db}", "--no-catalogue", "-f", "json")
    assert code == 0, err
    table = _contract(out)["sources"][0]["tables"][0]
    mobile = next(c for c in table["columns"] if c["name"] == "mobile")
    assert mobile["info_types"][0]["type"] == "CN_MOBILE_PHONE"
    assert table["individuals"]["estimate"] == 50


def test_postgres_and_directory_together(tmp_path: Path, pg_url: str) -> None:
    engine = sa.create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://"))
    schema = f"cli_{uuid.uuid4().hex[:8]}"
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        conn.execute(sa.text(f"CREATE TABLE {schema}.people (id serial primary key, sfzh text)"))
        conn.execute(sa.text(f"INSERT INTO {schema}.people (sfzh) VALUES (:a), (:b)"),
                     {"a": RAW_ID, "b": "11010519491231002X"})
    try:
        data = tmp_path / "d"
        data.mkdir()
        _people(data / "customers.csv")
        code, out, err = _scan(str(data), pg_url, "--tables", f"{schema}.*",
                               "--no-catalogue", "-f", "json")
        assert code == 0, err
        report = _contract(out)
        pg = next(s for s in report["sources"] if s["kind"] == "postgresql")
        assert [t["name"] for t in pg["tables"]] == [f"{schema}.people"]
        col = next(c for c in pg["tables"][0]["columns"] if c["name"] == "sfzh")
        assert col["info_types"][0]["type"] == "CN_RESIDENT_ID"
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


def test_connection_refused_is_one_line(tmp_path: Path) -> None:
    good = _people(tmp_path / "good.csv")
    code, out, err = _scan("postgresql://u:s3cret@127.0.0.1:1/x", str(good), "--no-catalogue",
                           "-f", "json")
    assert code == 2
    assert "s3cret" not in err + out
    assert "Traceback" not in err
    assert _contract(out)["sources"]


def test_documents_are_scanned_beside_tables(tmp_path: Path) -> None:
    data = tmp_path / "mixed"
    data.mkdir()
    _people(data / "customers.csv")
    (data / "call.log").write_text(
        f"2026-03-01 客户来电，手机{RAW_MOBILE}，身份证号{RAW_ID}，要求修改地址。\n",
        encoding="utf-8",
    )
    (data / "broken.docx").write_bytes(b"PK\x03\x04 not a real docx")
    code, out, err = _scan(str(data), "--no-catalogue", "-f", "json")
    assert code == 2  # the corrupt document is named; everything else is still reported
    assert "broken.docx" in err
    report = _contract(out)
    docs = [d for s in report["sources"] for d in s["documents"]]
    assert [d["name"] for d in docs] == ["call.log"]
    types = {f["type"] for f in docs[0]["findings"]}
    assert {"CN_MOBILE_PHONE", "CN_RESIDENT_ID"} <= types
    assert RAW_ID not in out and RAW_MOBILE not in out
    assert any(t["name"] == "customers" for s in report["sources"] for t in s["tables"])


def test_error_messages_keep_their_brackets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Rich would read "[spark]" or "[/]" in a message as markup (and drop or choke on it).
    missing = tmp_path / "exports[2024][/].csv"
    code, _, err = _scan(str(missing), "--no-catalogue", "-f", "json")
    assert code == 2 and "exports[2024][/].csv" in " ".join(err.split())
    monkeypatch.setitem(sys.modules, "pyspark", None)  # as if pyspark were not installed
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    people = _people(tmp_path / "people.csv")
    code, _, err = _scan("--engine", "spark", str(people), "--no-catalogue", "-f", "json")
    assert code == 2 and "pip install 'fenji[spark]'" in err and "Traceback" not in err
