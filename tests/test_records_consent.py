"""Consent ledger and rights requests (fenji.records.consent / rights): time-travel status,
non-retroactive withdrawal, separate and guardian consent, deadlines, deceased persons."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fenji.catalogue import Catalogue
from fenji.errors import InputError
from fenji.records import log
from fenji.records.consent import consent_status, record_consent, withdraw_consent
from fenji.records.rights import (
    add_months,
    close_request,
    due_date,
    get_request,
    list_requests,
    open_request,
)
from fenji.records.subjects import reference_hash, subject_ref, younger_than

T0 = datetime(2026, 1, 31, 8, 0, tzinfo=UTC)
PHONE = "13800138000"
CHILD_ID = "110101201503074510"  # born 2015-03-07


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FENJI_KEY", "22" * 32)
    monkeypatch.delenv("FENJI_SIGNING_KEY", raising=False)


@pytest.fixture
def cat(tmp_path: Path) -> Iterator[Catalogue]:
    with Catalogue(f"sqlite:///{tmp_path / 'cat.db'}") as c:
        yield c


def _give(cat: Catalogue, purpose: str = "会员营销", cats: tuple[str, ...] = ("CN_MOBILE_PHONE",),
          kind: str = "general", at: datetime = T0, **kw: object):  # noqa: ANN202
    return record_consent(cat, subject_ref(PHONE), purpose, cats, kind, notice_version="v3",
                          channel="app", given_at=at, **kw)  # type: ignore[arg-type]


def test_status_before_and_after_consent(cat: Catalogue) -> None:
    rec = _give(cat)
    subject = subject_ref("+86 138 0013 8000")  # the same person, typed differently
    before = consent_status(cat, subject, "会员营销", "CN_MOBILE_PHONE", T0 - timedelta(days=1))
    after = consent_status(cat, subject, "会员营销", "CN_MOBILE_PHONE", T0 + timedelta(days=1))
    assert not before.allowed and "after this time" in before.reason
    assert after.allowed and after.consent_id == rec.id


def test_withdrawal_is_not_retroactive(cat: Catalogue) -> None:
    _give(cat)
    w = T0 + timedelta(days=10)
    withdrawn = withdraw_consent(cat, subject_ref(PHONE), "会员营销", at=w, channel="app")
    assert len(withdrawn) == 1 and withdrawn[0].withdrawn_at == w
    subject = subject_ref(PHONE)
    assert consent_status(cat, subject, "会员营销", "CN_MOBILE_PHONE", w - timedelta(seconds=1)
                          ).allowed
    after = consent_status(cat, subject, "会员营销", "CN_MOBILE_PHONE", w)
    assert not after.allowed and "PIPL Art. 15" in after.citations
    with pytest.raises(InputError, match="nothing to withdraw"):
        withdraw_consent(cat, subject, "会员营销", at=w + timedelta(days=1))


def test_new_purpose_or_category_needs_a_new_record(cat: Catalogue) -> None:
    _give(cat)
    subject = subject_ref(PHONE)
    other = consent_status(cat, subject, "人脸识别门禁", "CN_MOBILE_PHONE", T0 + timedelta(1))
    assert not other.allowed and "PIPL Art. 14" in other.citations
    assert "会员营销" in other.reason
    more = consent_status(cat, subject, "会员营销", "ADDRESS", T0 + timedelta(1))
    assert not more.allowed and "PIPL Art. 14" in more.citations
    _give(cat, "人脸识别门禁", ("CN_MOBILE_PHONE",), at=T0 + timedelta(days=2))
    assert consent_status(cat, subject, "人脸识别门禁", "CN_MOBILE_PHONE", T0 + timedelta(3)
                          ).allowed


def test_sensitive_category_needs_separate_consent(cat: Catalogue) -> None:
    with pytest.raises(InputError, match=r"HEALTH_INFO.*PIPL Art. 28-29.*separate"):
        _give(cat, "体检", ("HEALTH_INFO",), kind="general")
    assert log.log_size(cat) == 0  # nothing recorded
    assert _give(cat, "体检", ("HEALTH_INFO",), kind="separate").kind == "separate"


def test_providing_to_others_needs_separate_consent(cat: Catalogue) -> None:
    with pytest.raises(InputError, match="PIPL Art. 23"):
        _give(cat, "共享给合作方", uses=("provide",))
    with pytest.raises(InputError, match="PIPL Art. 39"):
        _give(cat, "境外客服", uses=("export",))
    assert _give(cat, "境外客服", uses=("export",), kind="written").uses == ("export",)


def test_child_under_14_needs_guardian_consent(cat: Catalogue) -> None:
    child = subject_ref(CHILD_ID)
    under = younger_than(CHILD_ID, "CN_RESIDENT_ID", T0, 14)
    assert under is True
    assert younger_than(CHILD_ID, "CN_RESIDENT_ID", datetime(2029, 3, 7, tzinfo=UTC), 14) is False
    with pytest.raises(InputError, match="PIPL Art. 31"):
        record_consent(cat, child, "在线课程", ["PERSON_NAME"], "separate", notice_version="v1",
                       channel="web", given_at=T0, under_14=under)
    with pytest.raises(InputError, match="guardian's reference"):
        record_consent(cat, child, "在线课程", ["PERSON_NAME"], "guardian", notice_version="v1",
                       channel="web", given_at=T0, under_14=under)
    rec = record_consent(cat, child, "在线课程", ["PERSON_NAME"], "guardian", notice_version="v1",
                         channel="web", given_at=T0, under_14=under,
                         guardian=reference_hash("110101198001011234"))
    assert rec.has_guardian and rec.under_14


def test_raw_identifiers_never_reach_the_database(cat: Catalogue, tmp_path: Path) -> None:
    record_consent(cat, subject_ref(CHILD_ID), "在线课程", ["PERSON_NAME"], "guardian",
                   notice_version="v1", channel="web", given_at=T0, under_14=True,
                   guardian=reference_hash("110101198001011234"))
    open_request(cat, subject_ref(PHONE), "access", received_at=T0)
    with closing(sqlite3.connect(tmp_path / "cat.db")) as conn:
        dump = "\n".join(conn.iterdump())
    for raw in (CHILD_ID, PHONE, "110101198001011234"):
        assert raw not in dump
    assert "consent.record" in dump and "rights.open" in dump


# --- rights requests -------------------------------------------------------------------------


def test_due_dates_30_days_and_one_month() -> None:
    jan31 = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
    assert due_date(jan31, ["pipl"]) == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert due_date(jan31, ["gdpr"]) == datetime(2026, 2, 28, 9, 0, tzinfo=UTC)
    assert due_date(jan31, ["pipl", "gdpr"]) == datetime(2026, 2, 28, 9, 0, tzinfo=UTC)
    assert add_months(datetime(2024, 1, 31), 1) == datetime(2024, 2, 29)
    assert add_months(datetime(2025, 12, 15), 1) == datetime(2026, 1, 15)
    with pytest.raises(InputError, match="gdpr, pipl"):
        due_date(jan31, ["ccpa"])


def test_overdue_listing(cat: Catalogue) -> None:
    subject = subject_ref(PHONE)
    old = open_request(cat, subject, "copy", received_at=T0)  # alias of access
    new = open_request(cat, subject, "deletion", received_at=T0 + timedelta(days=20))
    assert old.kind == "access" and old.due_at == T0 + timedelta(days=30)
    at = T0 + timedelta(days=31)
    assert [r.id for r in list_requests(cat, overdue_at=at)] == [old.id]
    assert get_request(cat, old.id).overdue(at) and not get_request(cat, new.id).overdue(at)
    close_request(cat, old.id, "done", at=at)
    assert list_requests(cat, overdue_at=at) == []
    assert log.entries(cat)[-1].payload["late"] is True


def test_refusal_needs_a_reason(cat: Catalogue) -> None:
    req = open_request(cat, subject_ref(PHONE), "explanation", received_at=T0)
    with pytest.raises(InputError, match="PIPL Art. 50"):
        close_request(cat, req.id, "refused")
    closed = close_request(cat, req.id, "refused", reason="no automated decision is made")
    assert closed.status == "refused" and "PIPL Art. 50" in closed.citations
    with pytest.raises(InputError, match="already refused"):
        close_request(cat, req.id, "done")


def test_deceased_persons_close_relatives(cat: Catalogue) -> None:
    subject = subject_ref(PHONE)
    req = open_request(cat, subject, "deletion", received_at=T0, deceased=True,
                       relation="child", arrangements="none")
    assert req.requester == "relative" and "PIPL Art. 49" in req.citations
    with pytest.raises(InputError, match="access, correction, deletion.*PIPL Art. 49"):
        open_request(cat, subject, "portability", deceased=True, relation="child",
                     arrangements="none")
    with pytest.raises(InputError, match="relation to the deceased.*spouse"):
        open_request(cat, subject, "access", deceased=True, relation="friend",
                     arrangements="none")
    barred = open_request(cat, subject, "access", deceased=True, relation="spouse",
                          arrangements="forbids", arrangements_note="will, clause 4")
    assert barred.must_refuse
    with pytest.raises(InputError, match="arranged otherwise"):
        close_request(cat, barred.id, "done")
    assert close_request(cat, barred.id, "refused", reason="the deceased's will forbids it"
                         ).status == "refused"


def test_unknown_request_is_named(cat: Catalogue) -> None:
    with pytest.raises(InputError, match="no rights request 4; no request is recorded"):
        get_request(cat, 4)


def test_subjects_doctest() -> None:
    import doctest

    import fenji.records.subjects as mod

    result = doctest.testmod(mod)
    assert result.attempted > 0 and result.failed == 0
