"""Incidents: what leaked (from the catalogue or declared), and the clocks that started.

The clocks are the policy rules of kind ``incident`` (``fenji/packs/*/rules.yaml``: PIPL Art. 57
immediately, GDPR Art. 33 72 hours and Art. 34, the 2025 CAC incident-reporting measures' 1/2/4
hours for 1,000,000+ people and the 30-day summary): the incident is turned into an activity and
run through ``fenji.policy.check``, so the law lives in one place. Each clock is then set against
the time the matching notice was given (``records.yaml``: ``incidents.safeguards``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from fenji.catalogue import Catalogue
from fenji.errors import CatalogueError, InputError, choices
from fenji.infotypes import INFO_TYPES
from fenji.records.config import pick, section
from fenji.records.db import (
    Target,
    catalogue_of,
    engine_of,
    from_db,
    locked_row,
    now,
    session,
    to_db,
)
from fenji.records.log import append_in, resolve_key, text_digest
from fenji.records.models import IncidentRow

TEXT_FIELDS = ("title", "cause", "harm", "remedies", "advice", "contact")
TIME_FIELDS = ("occurred_at", "authority_notified_at", "individuals_notified_at",
               "supervisory_notified_at", "incident_reported_at", "handling_ended_at",
               "summary_reported_at")
COUNT_FIELDS = ("individuals", "sensitive_individuals", "minors_under_14")
PROCESSOR_FIELDS = ("name", "ciio", "state_organ", "gdpr")


@dataclass(frozen=True)
class Incident:
    """One incident as recorded."""

    id: int
    title: str
    kind: str
    status: str
    detected_at: datetime
    categories: tuple[str, ...]
    tables: tuple[str, ...]
    processor: Mapping[str, Any]
    occurred_at: datetime | None = None
    individuals: int | None = None
    sensitive_individuals: int | None = None
    minors_under_14: int | None = None
    cause: str | None = None
    harm: str | None = None
    remedies: str | None = None
    advice: str | None = None
    contact: str | None = None
    authority_notified_at: datetime | None = None
    individuals_notified_at: datetime | None = None
    supervisory_notified_at: datetime | None = None
    incident_reported_at: datetime | None = None
    handling_ended_at: datetime | None = None
    summary_reported_at: datetime | None = None


@dataclass(frozen=True)
class Affected:
    """Who and what an incident affects: declared figures, else the catalogue's estimates."""

    categories: tuple[str, ...]
    individuals: int | None
    sensitive_individuals: int | None
    minors_under_14: int | None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Clock:
    """One notice the law requires, and where it stands at ``IncidentStatus.at``."""

    code: str
    text: str
    citation: str
    state: str  # done | late | overdue | due | now | pending
    deadline: datetime | None
    deadline_text: str  # the rule's own words when it has no hour limit
    done_at: datetime | None


@dataclass(frozen=True)
class IncidentStatus:
    incident: Incident
    affected: Affected
    clocks: tuple[Clock, ...]
    at: datetime
    warnings: tuple[str, ...] = field(default=())


def _incident(row: IncidentRow) -> Incident:
    values: dict[str, Any] = {f.name: getattr(row, f.name) for f in fields(Incident)}
    for name in ("detected_at", *TIME_FIELDS):
        values[name] = from_db(values[name])
    values["categories"] = tuple(row.categories)
    values["tables"] = tuple(row.tables)
    return Incident(**values)


def _categories(categories: Iterable[str]) -> list[str]:
    cats = list(dict.fromkeys(c.strip().upper() for c in categories if c.strip()))
    for c in cats:
        if c not in INFO_TYPES:
            raise InputError(f"PI category {c!r} is not one of {choices(INFO_TYPES)}")
    return cats


def _loggable(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Free text goes to the log as its digest only (it may name people)."""
    return {(f"{k}_sha256" if k in TEXT_FIELDS else k): (text_digest(v) if k in TEXT_FIELDS
                                                         else v)
            for k, v in changes.items()}


def open_incident(
    target: Target,
    title: str,
    *,
    detected_at: datetime,
    kind: str = "leak",
    categories: Iterable[str] = (),
    tables: Iterable[str] = (),
    processor: Mapping[str, Any] | None = None,
    signing_key: Ed25519PrivateKey | None = None,
    **details: Any,
) -> Incident:
    """Record a new incident (detection time = awareness time, when the clocks start).

    ``processor``: ``name``, ``ciio``, ``state_organ``, ``gdpr`` (which clocks apply).
    ``details``: any of the text, time and count fields of ``Incident``.
    """
    pick(kind, section("incidents")["kinds"], "incident kind")
    if not title.strip():
        raise InputError("an incident needs a title")
    proc = {"name": "processor", "ciio": False, "state_organ": False, "gdpr": True,
            **(processor or {})}
    unknown = set(proc) - set(PROCESSOR_FIELDS)
    if unknown:
        raise InputError(f"processor field {sorted(unknown)[0]!r} is not one of"
                         f" {choices(PROCESSOR_FIELDS)}")
    _check_details(details)
    stamp = to_db(now())
    engine = engine_of(target)
    with session(engine, "cannot record the incident") as s:
        row = IncidentRow(title=title.strip(), kind=kind, status="open",
                          detected_at=to_db(detected_at), categories=_categories(categories),
                          tables=list(dict.fromkeys(tables)), processor=proc, updated_at=stamp)
        _apply(row, details)
        s.add(row)
        s.flush()
        append_in(s, "incident.open", {
            "incident": row.id, "kind": kind, "detected_at": detected_at,
            "categories": row.categories, "tables": row.tables, "processor": proc,
            **_loggable({"title": row.title, **details}),
        }, signing_key=resolve_key(signing_key))
        return _incident(row)


def _check_details(details: Mapping[str, Any]) -> None:
    valid = (*TEXT_FIELDS, *TIME_FIELDS, *COUNT_FIELDS, "categories", "tables", "status")
    for name, value in details.items():
        if name not in valid:
            raise InputError(f"incident field {name!r} is not one of {choices(valid)}")
        if name in COUNT_FIELDS and value is not None and (not isinstance(value, int)
                                                            or value < 0):
            raise InputError(f"incident {name}: expected a count >= 0")
        if name == "status":
            pick(value, ["open", "closed"], "incident status")


def _apply(row: IncidentRow, details: Mapping[str, Any]) -> None:
    for name, value in details.items():
        if name in TIME_FIELDS:
            value = to_db(value) if value is not None else None
        elif name == "categories":
            value = _categories(value)
        elif name == "tables":
            value = list(dict.fromkeys(value))
        setattr(row, name, value)


def update_incident(
    target: Target, incident_id: int, *, signing_key: Ed25519PrivateKey | None = None,
    **changes: Any,
) -> Incident:
    """Change fields of an incident (e.g. ``authority_notified_at``, ``status="closed"``)."""
    if not changes:
        raise InputError("nothing to update: give at least one field")
    _check_details(changes)
    engine = engine_of(target)
    with session(engine, f"cannot update incident {incident_id}") as s:
        row = _get(s, incident_id)
        _apply(row, changes)
        row.updated_at = to_db(now())
        append_in(s, "incident.update", {"incident": incident_id, **_loggable(changes)},
                  signing_key=resolve_key(signing_key))
        s.flush()
        return _incident(row)


def _get(s: Any, incident_id: int) -> IncidentRow:
    return locked_row(s, IncidentRow, incident_id, "incident", "incident")


def get_incident(target: Target, incident_id: int) -> Incident:
    engine = engine_of(target)
    with session(engine, f"cannot read incident {incident_id}") as s:
        return _incident(_get(s, incident_id))


def list_incidents(target: Target, status: str | None = None) -> list[Incident]:
    engine = engine_of(target)
    with session(engine, "cannot list incidents") as s:
        query = select(IncidentRow).order_by(IncidentRow.detected_at, IncidentRow.id)
        if status:
            query = query.where(IncidentRow.status == pick(status, ["open", "closed"], "status"))
        return [_incident(r) for r in s.scalars(query)]


# --- affected data ---------------------------------------------------------------------------


def affected(target: Target, incident: Incident) -> Affected:
    """Categories and people affected: declared values win; otherwise the catalogue's newest
    scan of the incident's tables (keyed-hash sketches merged, a person counted once)."""
    cats = list(incident.categories)
    notes: list[str] = []
    individuals, sensitive, minors = (incident.individuals, incident.sensitive_individuals,
                                      incident.minors_under_14)
    if incident.tables:
        cat = catalogue_of(target)
        sensitive_tables, minors_sum = [], 0
        for name in incident.tables:
            rec = cat.latest_table(name)
            if rec is None:
                notes.append(f"table {name!r} is in no complete scan of the catalogue")
                continue
            for col in rec.profile.columns:
                cats += [hit.type for hit in col.info_types]
            if any(col.sensitive for col in rec.profile.columns):
                sensitive_tables.append(name)
            minors_sum += (rec.individuals.minors_under_14 or 0) if rec.individuals else 0
        found = [t for t in incident.tables if cat.latest_table(t) is not None]
        if individuals is None and found:
            individuals = _merge(cat, found, notes)
        if sensitive is None and sensitive_tables:
            sensitive = _merge(cat, sensitive_tables, notes)
        if minors is None and minors_sum:
            minors = minors_sum
            if len(found) > 1:
                notes.append("minors under 14 are summed over tables (an upper bound)")
    if individuals is None:
        notes.append("number of people unknown: clocks that depend on it (CAC 1,000,000+)"
                     " cannot be ruled out; declare it with --individuals")
    return Affected(tuple(dict.fromkeys(cats)), individuals, sensitive, minors, tuple(notes))


def _merge(cat: Catalogue, tables: list[str], notes: list[str]) -> int | None:
    try:
        return cat.merge_sketches(tables)
    except CatalogueError as exc:
        if "different identifier types" not in str(exc):
            notes.append(str(exc))
            return None
    notes.append("tables are keyed on different identifier types; the count is an upper bound")
    try:
        return cat.merge_sketches(tables, mixed_keys=True)
    except CatalogueError as exc:
        notes.append(str(exc))
        return None
