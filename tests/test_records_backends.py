"""The records tables on SQLite, PostgreSQL and MariaDB: the migration matches the models, the
log appends without gaps under concurrent writers, verification and consent times round-trip."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

import fenji.records.models  # noqa: F401 - registers the records tables on Base.metadata
from fenji.catalogue import Catalogue
from fenji.catalogue.migrate import current_revision, head_revision
from fenji.catalogue.models import VERSION_TABLE, Base
from fenji.records import log, signing
from fenji.records.consent import consent_status, record_consent
from fenji.records.subjects import subject_ref
from fenji.records.verify import verify

T0 = datetime(2026, 5, 1, 9, 30, 15, 123456, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FENJI_KEY", "55" * 32)
    monkeypatch.delenv("FENJI_SIGNING_KEY", raising=False)


@pytest.fixture
def url(catalogue_db_url: str) -> str:
    """A fresh, empty catalogue database on each backend (see conftest)."""
    return catalogue_db_url


def test_migration_matches_models(url: str) -> None:
    with Catalogue(url) as cat, cat.engine.connect() as conn:
        assert current_revision(conn) == head_revision() == "0004"
        ctx = MigrationContext.configure(
            conn, opts={"compare_type": True, "version_table": VERSION_TABLE})
        assert compare_metadata(ctx, Base.metadata) == []


def test_log_verifies_and_catches_tampering(url: str, tmp_path: Path) -> None:
    signing.generate_key(tmp_path / "k")
    key = signing.load_private_key(tmp_path / "k")
    with Catalogue(url) as cat:
        for i in range(5):
            log.append_event(cat, "test.event", {"i": i, "purpose": "会员营销"}, at=T0,
                             signing_key=key)
        assert verify(cat, key.public_key()).ok
        with cat.engine.begin() as conn:
            conn.execute(text("UPDATE fenji_log SET kind = 'test.forged' WHERE seq = 4"))
        report = verify(cat, key.public_key())
        assert [(p.entry, p.kind) for p in report.problems] == [(4, "edited")]


def test_concurrent_appends_leave_no_gap(url: str) -> None:
    with Catalogue(url) as cat:
        log.append_event(cat, "test.event", {"i": -1})  # tables exist before the race

        def writer(n: int) -> None:
            for i in range(8):
                log.append_event(cat, "test.event", {"writer": n, "i": i})

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        rows, _ = log.read_log(cat)
        assert [r.seq for r in rows] == list(range(1, 26))
        assert verify(cat).ok


def test_consent_times_round_trip(url: str) -> None:
    with Catalogue(url) as cat:
        subject = subject_ref("13800138000")
        rec = record_consent(cat, subject, "会员营销", ["CN_MOBILE_PHONE"], notice_version="v1",
                             channel="app", given_at=T0)
        assert rec.given_at == T0  # microseconds kept (MySQL DATETIME(6))
        assert not consent_status(cat, subject, "会员营销", "CN_MOBILE_PHONE",
                                  T0 - timedelta(microseconds=1)).allowed
        assert consent_status(cat, subject, "会员营销", "CN_MOBILE_PHONE", T0).allowed
