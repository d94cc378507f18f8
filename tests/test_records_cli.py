"""The records commands end to end (fenji.cli_records): consent, rights run on a real SQLite
database, incidents, and records verify catching a tampered entry. Exit codes: 0 ok, 1 a "no"
(consent refused, overdue, tampering), 2 bad input."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from fenji.cli_records import consent_app, incident_app, records_app, rights_app

PHONE = "13800138000"
ID_NO = "110101199003074514"


@pytest.fixture
def app() -> typer.Typer:
    root = typer.Typer()
    root.add_typer(consent_app, name="consent")
    root.add_typer(rights_app, name="rights")
    root.add_typer(incident_app, name="incident")
    root.add_typer(records_app, name="records")
    return root


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FENJI_KEY", "44" * 32)
    monkeypatch.setenv("FENJI_CATALOGUE", f"sqlite:///{tmp_path / 'cat.db'}")
    monkeypatch.delenv("FENJI_SIGNING_KEY", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _run(app: typer.Typer, *args: str, code: int = 0, stdin: str | None = None) -> str:
    result = CliRunner().invoke(app, list(args), input=stdin)
    assert result.exit_code == code, result.output
    return result.output


def test_consent_commands(app: typer.Typer, env: Path) -> None:
    _run(app, "consent", "record", "-", "--purpose", "会员营销", "-c", "CN_MOBILE_PHONE",
         "--notice-version", "v3", "--channel", "app", "--at", "2026-01-05T10:00+08:00",
         stdin=PHONE + "\n")
    _run(app, "consent", "withdraw", PHONE, "--purpose", "会员营销",
         "--at", "2026-02-01T10:00+08:00")
    yes = _run(app, "consent", "status", PHONE, "--purpose", "会员营销", "--category",
               "CN_MOBILE_PHONE", "--at", "2026-01-20T00:00+08:00")
    assert yes.startswith("yes")
    no = _run(app, "consent", "status", PHONE, "--purpose", "会员营销", "--category",
              "CN_MOBILE_PHONE", "--format", "json", code=1)
    assert json.loads(no)["citations"] == ["PIPL Art. 15"]
    bad = _run(app, "consent", "record", PHONE, "--purpose", "体检", "-c", "HEALTH_INFO",
               "--notice-version", "v3", "--channel", "app", code=2)
    assert "separate consent" in bad and PHONE not in bad
    child = _run(app, "consent", "record", "110101201503074510", "--purpose", "课程",
                 "-c", "PERSON_NAME", "--notice-version", "v1", "--channel", "web",
                 "--kind", "separate", "--at", "2026-01-01T00:00+08:00", code=2)
    assert "PIPL Art. 31" in child


def _shop(path: Path) -> None:
    with closing(sqlite3.connect(path)) as conn:
        conn.execute('CREATE TABLE members (id INTEGER PRIMARY KEY, "手机号" TEXT, "姓名" TEXT)')
        conn.executemany("INSERT INTO members VALUES (?, ?, ?)",
                         [(1, "138 0013 8000", "张三"), (2, "13900139000", "李四")])
        conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, member_id INTEGER,"
                     " address TEXT)")
        conn.executemany("INSERT INTO orders VALUES (?, ?, ?)",
                         [(10, 1, "北京"), (11, 1, "上海"), (12, 2, "广州")])
        conn.commit()


def _count(path: Path, table: str) -> int:
    with closing(sqlite3.connect(path)) as conn:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def test_rights_commands_on_a_database(app: typer.Typer, env: Path) -> None:
    _shop(env / "shop.db")
    (env / "map.yaml").write_text(
        "databases:\n  shop:\n    url: sqlite:///shop.db\n    tables:\n"
        "      members: {identifiers: {手机号: CN_MOBILE_PHONE}}\n"
        "      orders: {foreign_keys: [{column: member_id, references: members.id}]}\n",
        encoding="utf-8")
    assert "request 1 opened: access" in _run(app, "rights", "open", PHONE, "--kind", "copy")
    _run(app, "rights", "run", "1", PHONE, "--map", "map.yaml", "--out", "pkg")
    rows = json.loads((env / "pkg" / "request-1" / "shop.orders.json").read_text("utf-8"))
    assert sorted(r["id"] for r in rows) == [10, 11]
    _run(app, "rights", "open", PHONE, "--kind", "deletion", "--received", "2026-01-01")
    wrong = _run(app, "rights", "run", "2", "13900139000", "--map", "map.yaml", code=2)
    assert "not the subject of request 2" in wrong
    dry = _run(app, "rights", "run", "2", PHONE, "--map", "map.yaml", "--dry-run")
    assert "dry run" in dry and _count(env / "shop.db", "orders") == 3
    _run(app, "rights", "run", "2", PHONE, "--map", "map.yaml", stdin="n\n", code=1)
    assert _count(env / "shop.db", "members") == 2  # declined at the prompt
    _run(app, "rights", "run", "2", PHONE, "--map", "map.yaml", "--yes")
    assert (_count(env / "shop.db", "members"), _count(env / "shop.db", "orders")) == (1, 1)
    overdue = _run(app, "rights", "list", "--overdue", "--format", "json", code=1)
    assert [r["id"] for r in json.loads(overdue)] == [2]
    _run(app, "rights", "close", "2", "--outcome", "refused", code=2)  # no reason
    assert "(late)" in _run(app, "rights", "close", "2", "--outcome", "done")
    shown = json.loads(_run(app, "rights", "show", "2", "--format", "json"))
    assert shown["status"] == "done" and shown["result"]["erase"]["tables"][0]["rows"] == 2


def test_incident_commands(app: typer.Typer, env: Path) -> None:
    out = _run(app, "incident", "open", "会员表泄露", "--detected", "2026-03-02T09:30+08:00",
               "--category", "CN_MOBILE_PHONE", "--individuals", "1200000",
               "--cause", "public bucket")
    assert "incident 1 opened" in out and "BR06" in out
    _run(app, "incident", "update", "1", "--authority-notified", "2026-03-02T10:00+08:00",
         "--individuals-notified", "2026-03-02T11:00+08:00",
         "--reported", "2026-03-02T12:00+08:00", "--supervisory-notified",
         "2026-03-03T09:00+08:00")
    status = json.loads(_run(app, "incident", "status", "1", "--format", "json"))
    states = {c["code"]: c["state"] for c in status[0]["clocks"]}
    assert states == {"BR01": "done", "BR02": "done", "BR06": "done", "BR07": "pending"}
    _run(app, "incident", "update", "1", "--handling-ended", "2026-03-05T00:00+08:00")
    _run(app, "incident", "status", "1", "--at", "2026-05-01T00:00+08:00", code=1)  # BR07
    _run(app, "incident", "status", "--notice", "notice.md", "1", "--at", "2026-03-10")
    assert "public bucket" in (env / "notice.md").read_text("utf-8")


def test_records_verify_catches_a_tampered_entry(app: typer.Typer, env: Path) -> None:
    _run(app, "records", "keygen", "keys/log.key")
    _run(app, "records", "keygen", "keys/log.key", code=2)  # never overwritten
    for purpose in ("会员营销", "物流配送", "售后服务"):
        _run(app, "consent", "record", PHONE, "--purpose", purpose, "-c", "CN_MOBILE_PHONE",
             "--notice-version", "v3", "--channel", "app", "--signing-key", "keys/log.key")
    ok = _run(app, "records", "verify", "--public-key", "keys/log.key.pub")
    assert "OK: 3 entries, 3 signed heads" in ok
    _run(app, "records", "prove", "2", "--public-key", "keys/log.key.pub", "--output", "p.json")
    _run(app, "records", "check-proof", "p.json", "--public-key", "keys/log.key.pub")
    with closing(sqlite3.connect(env / "cat.db")) as conn:
        conn.execute("UPDATE fenji_log SET payload = replace(payload, '物流配送', '精准广告')"
                     " WHERE seq = 2")
        conn.commit()
    bad = _run(app, "records", "verify", "--public-key", "keys/log.key.pub", code=1)
    assert "FAIL entry 2 (edited)" in bad
    _run(app, "records", "check-proof", "p.json", "--public-key", "keys/log.key.pub")  # kept
    _run(app, "records", "prove", "2", code=1)  # the stored entry no longer hashes right
    _run(app, "records", "keygen", "other.key")
    wrong = _run(app, "records", "verify", "--public-key", "other.key.pub", code=1)
    assert "not by the key given" in wrong


def test_register_export(app: typer.Typer, env: Path) -> None:
    _run(app, "consent", "record", PHONE, "--purpose", "体检报告", "-c", "HEALTH_INFO",
         "--kind", "separate", "--notice-version", "v3", "--channel", "app")
    _run(app, "records", "pia", "体检报告", "--trigger", "sensitive", "--conclusion",
         "acceptable with encryption", "--at", "2026-01-10T00:00+08:00")
    _run(app, "records", "export", "--out", "reg")
    register = json.loads((env / "reg" / "register.json").read_text("utf-8"))
    assert register["processing"][0]["sensitive_categories"] == ["HEALTH_INFO"]
    assert register["pia"][0]["keep_until"].startswith("2029-01-09")
    _run(app, "records", "export", "--out", "reg", "--format", "csv")
    assert (env / "reg" / "ropa.csv").read_text("utf-8").startswith("purpose,")
    dump = (env / "reg" / "register.json").read_text("utf-8")
    assert PHONE not in dump


def test_subject_map_drafted_from_the_catalogue(app: typer.Typer, env: Path) -> None:
    from fenji.catalogue import Catalogue
    from fenji.scan import ScanOptions, scan

    with closing(sqlite3.connect(env / "crm.db")) as conn:
        conn.execute('CREATE TABLE members (id INTEGER PRIMARY KEY, "手机号" TEXT, "备注" TEXT)')
        conn.executemany("INSERT INTO members VALUES (?, ?, ?)",
                         [(i, f"1{3 + i % 6}{i:09d}", "无") for i in range(1, 60)])
        conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY,"
                     " member_id INTEGER REFERENCES members(id), sku TEXT)")
        conn.executemany("INSERT INTO orders VALUES (?, ?, ?)",
                         [(i, i % 59 + 1, "A") for i in range(1, 100)])
        conn.execute("CREATE TABLE skus (id INTEGER PRIMARY KEY, label TEXT)")
        conn.commit()
    url = f"sqlite:///{env / 'crm.db'}"
    with Catalogue() as cat:
        cat.save_scan(scan([url], ScanOptions(sample=None)))
    out = _run(app, "rights", "map", url, "--out", "draft.yaml", "--name", "crm")
    assert "skus: no identifier column" in out
    import yaml

    draft = yaml.safe_load((env / "draft.yaml").read_text("utf-8"))
    tables = draft["databases"]["crm"]["tables"]
    assert tables["members"]["identifiers"] == {"手机号": "CN_MOBILE_PHONE"}
    assert tables["orders"]["foreign_keys"] == [{"column": "member_id",
                                                 "references": "members.id"}]
    _run(app, "rights", "open", "13000000006", "--kind", "deletion")  # member 6
    _run(app, "rights", "run", "1", "13000000006", "--map", "draft.yaml", "--dry-run")
    shown = json.loads(_run(app, "rights", "show", "1", "--format", "json"))
    counts = {t["table"]: t["rows"] for t in shown["result"]["dry_run"]["tables"]}
    assert counts == {"members": 1, "orders": 2}  # orders 5 and 64 point at member 6
    _run(app, "rights", "map", url, "--out", "draft.yaml", code=2)  # never overwritten
