"""Incidents (fenji.records.incidents / clocks): clocks from the policy rules, overdue warnings,
affected people from the catalogue, the Art. 57 notice draft, and the log entries."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from fenji.catalogue import Catalogue
from fenji.errors import InputError
from fenji.individuals import estimate_individuals, key_fingerprint
from fenji.model import ColumnProfile, InfoTypeHit, ScanResult, SourceProfile, TableProfile
from fenji.records import log
from fenji.records.clocks import incident_status, notice_draft
from fenji.records.incidents import open_incident, update_incident

T0 = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
KEY = bytes(range(32))


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FENJI_KEY", KEY.hex())
    monkeypatch.delenv("FENJI_SIGNING_KEY", raising=False)


@pytest.fixture
def cat(tmp_path: Path) -> Iterator[Catalogue]:
    with Catalogue(f"sqlite:///{tmp_path / 'cat.db'}") as c:
        yield c


def _clocks(cat: Catalogue, inc_id: int, at: datetime) -> dict[str, str]:
    return {c.code: c.state for c in incident_status(cat, inc_id, at).clocks}


def test_small_leak_pipl_now_gdpr_72_hours(cat: Catalogue) -> None:
    inc = open_incident(cat, "CRM export on a public bucket", detected_at=T0,
                        categories=["PERSON_NAME", "CN_MOBILE_PHONE"], individuals=5000)
    status = incident_status(cat, inc.id, T0 + timedelta(hours=1))
    clocks = {c.code: c for c in status.clocks}
    assert clocks["BR01"].state == "now" and clocks["BR01"].deadline is None
    assert clocks["BR02"].deadline == T0 + timedelta(hours=72)
    assert clocks["BR02"].state == "due"
    assert not {"BR04", "BR05", "BR06"} & set(clocks)  # under 1,000,000 people: no CAC hours
    assert any("BR01" in w for w in status.warnings)
    assert _clocks(cat, inc.id, T0 + timedelta(hours=73))["BR02"] == "overdue"
    assert any("BR02 overdue" in w for w in incident_status(cat, inc.id,
                                                             T0 + timedelta(hours=73)).warnings)


def test_notices_given_in_time_or_late(cat: Catalogue) -> None:
    inc = open_incident(cat, "leak", detected_at=T0, categories=["EMAIL_ADDRESS"],
                        individuals=10)
    update_incident(cat, inc.id, supervisory_notified_at=T0 + timedelta(hours=80),
                    authority_notified_at=T0 + timedelta(hours=2),
                    individuals_notified_at=T0 + timedelta(hours=3))
    # Before the notices were given, they do not count ...
    assert _clocks(cat, inc.id, T0 + timedelta(hours=1))["BR01"] == "now"
    # ... after, PIPL's is done and GDPR's was late.
    later = _clocks(cat, inc.id, T0 + timedelta(days=5))
    assert later["BR01"] == "done" and later["BR02"] == "late"


def test_cac_hour_clock_for_a_million_people(cat: Catalogue) -> None:
    inc = open_incident(cat, "big leak", detected_at=T0, categories=["CN_RESIDENT_ID"],
                        individuals=1_000_000)
    status = incident_status(cat, inc.id, T0 + timedelta(hours=5))
    clocks = {c.code: c for c in status.clocks}
    assert clocks["BR06"].deadline == T0 + timedelta(hours=4)
    assert clocks["BR06"].state == "overdue"
    assert clocks["BR07"].state == "pending"  # starts when handling ends
    ciio = open_incident(cat, "CII leak", detected_at=T0, categories=["CN_RESIDENT_ID"],
                         individuals=2_000_000, processor={"name": "Grid", "ciio": True})
    assert {c.code: c.deadline for c in incident_status(cat, ciio.id, T0).clocks}["BR04"] == (
        T0 + timedelta(hours=1))
    update_incident(cat, inc.id, handling_ended_at=T0 + timedelta(days=2))
    summary = {c.code: c for c in incident_status(cat, inc.id, T0 + timedelta(days=40)).clocks}
    assert summary["BR07"].deadline == T0 + timedelta(days=32)
    assert summary["BR07"].state == "overdue"


def test_gdpr_off_drops_its_clocks(cat: Catalogue) -> None:
    inc = open_incident(cat, "leak", detected_at=T0, categories=["HEALTH_INFO"],
                        individuals=3, sensitive_individuals=3, processor={"gdpr": False})
    assert set(_clocks(cat, inc.id, T0)) == {"BR01"}


def _scan(cat: Catalogue) -> None:
    ids = ("11010119900101" + pl.Series(np.arange(0, 300)).cast(pl.Utf8).str.zfill(4))
    frame = ids.to_frame("sfzh")
    ind = estimate_individuals([frame], "sfzh", "CN_RESIDENT_ID", KEY)
    col = ColumnProfile("身份证号", "str", 300, (InfoTypeHit("CN_RESIDENT_ID", 0.99, 300, 300,
                                                           "cn_resident_id"),),
                        "personal.identity", True, "direct", samples=("110***********0001",))
    phone = ColumnProfile("手机号", "str", 300, (InfoTypeHit("CN_MOBILE_PHONE", 0.99, 300, 300,
                                                          "cn_mobile"),), "personal.contact")
    tables = tuple(TableProfile(name, 300, True, 300, (col, phone), ind)
                   for name in ("rec_members", "rec_members_copy"))
    cat.save_scan(ScanResult((SourceProfile("shop.db", "sqlite", tables),), "general",
                             "gbt35273-2020", T0, T0, None), key_id=key_fingerprint(KEY))


def test_affected_people_come_from_the_catalogue(cat: Catalogue) -> None:
    _scan(cat)
    inc = open_incident(cat, "dump", detected_at=T0, tables=["rec_members", "rec_members_copy",
                                                            "rec_missing"])
    aff = incident_status(cat, inc.id, T0).affected
    assert set(aff.categories) == {"CN_RESIDENT_ID", "CN_MOBILE_PHONE"}
    assert 290 <= (aff.individuals or 0) <= 310  # the same 300 people in both tables
    assert aff.sensitive_individuals == aff.individuals
    assert any("rec_missing" in n for n in aff.notes)


def test_notice_draft_has_what_art57_asks(cat: Catalogue) -> None:
    inc = open_incident(cat, "leak", detected_at=T0, categories=["CN_MOBILE_PHONE"],
                        individuals=1200, cause="misconfigured bucket", contact="dpo@acme.cn")
    text = notice_draft(incident_status(cat, inc.id, T0))
    assert "手机号码" in text and "misconfigured bucket" in text and "dpo@acme.cn" in text
    assert "PIPL Art. 57" in text and "about 1,200" in text
    assert text.count("[to be completed]") == 3  # harm, remedies, advice


def test_log_keeps_digests_not_free_text(cat: Catalogue) -> None:
    inc = open_incident(cat, "leak", detected_at=T0, categories=["CN_MOBILE_PHONE"],
                        cause="张三 left the file on a share")
    update_incident(cat, inc.id, status="closed", remedies="file removed")
    entries = log.entries(cat)
    assert [e.kind for e in entries] == ["incident.open", "incident.update"]
    dump = json.dumps([e.payload for e in entries], ensure_ascii=False)
    assert "张三" not in dump and "file removed" not in dump
    assert entries[1].payload["remedies_sha256"] == log.text_digest("file removed")


def test_bad_input_is_explained(cat: Catalogue) -> None:
    with pytest.raises(InputError, match="incident kind"):
        open_incident(cat, "x", detected_at=T0, kind="flood")
    with pytest.raises(InputError, match="PI category 'PHONE'"):
        open_incident(cat, "x", detected_at=T0, categories=["PHONE"])
    inc = open_incident(cat, "x", detected_at=T0)
    with pytest.raises(InputError, match="incident field 'colour'"):
        update_incident(cat, inc.id, colour="red")
    with pytest.raises(InputError, match="no incident 99; incident ids run 1 to 1"):
        update_incident(cat, 99, status="closed")


def test_register_lists_inventory_decisions_and_exports(cat: Catalogue) -> None:
    from fenji.records.ropa import build_register

    _scan(cat)
    log.append_event(cat, "check.decision", {"activity": "share.yaml", "verdict": "deny"})
    log.append_event(cat, "exports.record", {"activity": "cb.yaml", "individuals": 120})
    log.append_event(cat, "test.other", {"x": 1})
    reg = build_register(cat, T0)
    assert [(t["table"], t["sensitive"]) for t in reg["inventory"]] == [
        ("rec_members", True), ("rec_members_copy", True)]
    assert 290 <= reg["inventory"][0]["individuals"] <= 310
    assert [d["verdict"] for d in reg["decisions"]] == ["deny"]
    assert [e["individuals"] for e in reg["exports"]] == [120]
    assert reg["log"]["entries"] == 3
