"""Rights requests: access/copy, portability, correction, deletion, explanation, restriction.

Each request records the subject (keyed hash), the kind, when it arrived and when the reply is
due: 30 days under GB/T 35273-2020, one month under GDPR Art. 12(3), the earliest of the regimes
that apply (``records.yaml``). Close relatives of a deceased person may ask for access, copy,
correction and deletion (PIPL Art. 49) unless the deceased arranged otherwise; the relation and
the arrangements are recorded. A refusal needs a reason (Art. 50). Every step is logged.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from fenji.errors import InputError, choices
from fenji.records.config import pick, section
from fenji.records.db import Target, engine_of, from_db, locked_row, now, session, to_db
from fenji.records.log import EntryRef, append_in, resolve_key, text_digest
from fenji.records.models import RightsRequestRow
from fenji.records.subjects import Subject

STATUSES = ("open", "done", "refused")
REQUESTERS = ("subject", "relative", "agent")


@dataclass(frozen=True)
class RightsRequest:
    """One request as recorded."""

    id: int
    subject: str  # keyed hash
    subject_type: str
    kind: str
    status: str
    received_at: datetime
    due_at: datetime
    regimes: tuple[str, ...]
    requester: str
    deceased: bool
    relation: str | None
    arrangements: str | None
    arrangements_note: str | None
    note: str | None
    closed_at: datetime | None
    reason: str | None
    result: Mapping[str, Any] | None

    def overdue(self, at: datetime | None = None) -> bool:
        """Still open after its due time."""
        return self.status == "open" and self.due_at < (at or now())

    @property
    def citations(self) -> tuple[str, ...]:
        cfg = section("rights")
        cites = [cfg["kinds"][self.kind]["citation"]]
        cites += [cfg["regimes"][r]["citation"] for r in self.regimes if r in cfg["regimes"]]
        if self.deceased:
            cites.append(cfg["deceased_citation"])
        if self.status == "refused":
            cites.append(cfg["refusal_citation"])
        return tuple(cites)

    @property
    def must_refuse(self) -> bool:
        """A deceased person's request the deceased arranged against (PIPL Art. 49)."""
        return self.deceased and self.arrangements == "forbids"


def _request(row: RightsRequestRow) -> RightsRequest:
    return RightsRequest(
        id=row.id, subject=row.subject, subject_type=row.subject_type, kind=row.kind,
        status=row.status, received_at=from_db(row.received_at) or row.received_at,
        due_at=from_db(row.due_at) or row.due_at, regimes=tuple(row.regimes),
        requester=row.requester, deceased=row.deceased, relation=row.relation,
        arrangements=row.arrangements, arrangements_note=row.arrangements_note, note=row.note,
        closed_at=from_db(row.closed_at), reason=row.reason, result=row.result,
    )


def add_months(when: datetime, months: int) -> datetime:
    """Same day ``months`` later; the month's last day when it has no such day (31 Jan + 1 →
    28/29 Feb), as GDPR periods are counted (Regulation 1182/71 Art. 3)."""
    index = when.month - 1 + months
    year, month = when.year + index // 12, index % 12 + 1
    day = min(when.day, calendar.monthrange(year, month)[1])
    return when.replace(year=year, month=month, day=day)


def due_date(received_at: datetime, regimes: Iterable[str]) -> datetime:
    """The earliest reply deadline among ``regimes`` (see ``records.yaml``)."""
    cfg = section("rights")["regimes"]
    dues = []
    for name in regimes:
        spec = cfg[pick(name, cfg, "regime")]
        due = received_at
        if "days" in spec:
            due = due + timedelta(days=int(spec["days"]))
        if "months" in spec:
            due = add_months(due, int(spec["months"]))
        dues.append(due)
    if not dues:
        raise InputError(f"name at least one regime: {choices(cfg)}")
    return min(dues)


def normalise_kind(kind: str) -> str:
    """A request kind, with aliases (copy → access, erasure → deletion) resolved."""
    cfg = section("rights")
    kind = cfg["aliases"].get(kind.strip().lower(), kind.strip().lower())
    return pick(kind, cfg["kinds"], "request kind")


def open_request(
    target: Target,
    subject: Subject,
    kind: str,
    *,
    received_at: datetime | None = None,
    regimes: Iterable[str] | None = None,
    requester: str = "subject",
    deceased: bool = False,
    relation: str | None = None,
    arrangements: str | None = None,
    arrangements_note: str | None = None,
    note: str | None = None,
    signing_key: Ed25519PrivateKey | None = None,
) -> RightsRequest:
    """Record a new request and log it; returns it with its due date."""
    cfg = section("rights")
    kind = normalise_kind(kind)
    pick(requester, list(REQUESTERS), "requester")
    regime_list = tuple(dict.fromkeys(regimes or cfg["default_regimes"]))
    received = received_at or now()
    due = due_date(received, regime_list)
    if deceased:
        requester = "relative"
        if kind not in cfg["deceased_kinds"]:
            raise InputError(f"close relatives of a deceased person may ask for"
                             f" {choices(cfg['deceased_kinds'])}, not {kind}"
                             f" ({cfg['deceased_citation']})")
        pick(relation or "", cfg["relations"], "relation to the deceased")
        pick(arrangements or "", cfg["arrangements"], "the deceased's arrangements")
    elif relation or arrangements:
        raise InputError("relation and arrangements are for requests about a deceased person")
    engine = engine_of(target)
    with session(engine, "cannot record the request") as s:
        row = RightsRequestRow(
            subject=subject.hash, subject_type=subject.type, kind=kind, status="open",
            received_at=to_db(received), due_at=to_db(due), regimes=list(regime_list),
            requester=requester, deceased=deceased, relation=relation,
            arrangements=arrangements, arrangements_note=arrangements_note, note=note,
            closed_at=None, reason=None, result=None,
        )
        s.add(row)
        s.flush()
        append_in(s, "rights.open", {
            "request": row.id, "subject": subject.hash, "kind": kind, "received_at": received,
            "due_at": due, "regimes": list(regime_list), "requester": requester,
            "deceased": deceased, "relation": relation, "arrangements": arrangements,
        }, signing_key=resolve_key(signing_key))
        return _request(row)


def _get(s: Any, request_id: int) -> RightsRequestRow:
    return locked_row(s, RightsRequestRow, request_id, "rights request", "request")


def get_request(target: Target, request_id: int) -> RightsRequest:
    """One request; InputError naming the valid range when it does not exist."""
    engine = engine_of(target)
    with session(engine, f"cannot read request {request_id}") as s:
        return _request(_get(s, request_id))


def list_requests(
    target: Target, *, status: str | None = None, overdue_at: datetime | None = None
) -> list[RightsRequest]:
    """Requests, oldest due first; ``overdue_at`` keeps those open past their due time then."""
    if status is not None:
        pick(status, list(STATUSES), "status")
    engine = engine_of(target)
    with session(engine, "cannot list requests") as s:
        query = select(RightsRequestRow).order_by(RightsRequestRow.due_at, RightsRequestRow.id)
        if status is not None:
            query = query.where(RightsRequestRow.status == status)
        if overdue_at is not None:
            query = query.where(RightsRequestRow.status == "open",
                                RightsRequestRow.due_at < to_db(overdue_at))
        return [_request(r) for r in s.scalars(query)]


def record_result(
    target: Target,
    request_id: int,
    step: str,
    result: Mapping[str, Any],
    *,
    signing_key: Ed25519PrivateKey | None = None,
) -> EntryRef:
    """Store what a step did (counts per table, package name; never raw values) and log it."""
    engine = engine_of(target)
    with session(engine, f"cannot update request {request_id}") as s:
        row = _get(s, request_id)
        row.result = {**(row.result or {}), step: dict(result)}
        return append_in(s, f"rights.{step}", {"request": request_id, **result},
                         signing_key=resolve_key(signing_key))


def close_request(
    target: Target,
    request_id: int,
    outcome: str,
    *,
    reason: str | None = None,
    at: datetime | None = None,
    signing_key: Ed25519PrivateKey | None = None,
) -> RightsRequest:
    """Close a request as ``done`` or ``refused``; a refusal needs a reason (PIPL Art. 50)."""
    cfg = section("rights")
    pick(outcome, ["done", "refused"], "outcome")
    if outcome == "refused" and not (reason and reason.strip()):
        raise InputError(f"a refusal needs a reason ({cfg['refusal_citation']})")
    when = at or now()
    engine = engine_of(target)
    with session(engine, f"cannot close request {request_id}") as s:
        row = _get(s, request_id)
        if row.status != "open":
            raise InputError(f"request {request_id} is already {row.status}; only an open"
                             " request can be closed")
        if outcome == "done" and row.deceased and row.arrangements == "forbids":
            raise InputError(f"request {request_id}: the deceased arranged otherwise; refuse it"
                             f" with a reason ({cfg['deceased_citation']})")
        row.status, row.closed_at = outcome, to_db(when)
        row.reason = reason.strip() if reason else None
        late = to_db(when) > row.due_at
        append_in(s, "rights.close", {
            "request": request_id, "outcome": outcome, "reason_sha256": text_digest(row.reason),
            "at": when,
            "late": late,
        }, signing_key=resolve_key(signing_key))
        s.flush()
        return _request(row)
