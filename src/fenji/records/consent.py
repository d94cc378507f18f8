"""The consent ledger: who agreed to what, for which purpose, how, and until when.

One record per consent given: per data subject (keyed hash), purpose, PI categories (info-type
ids), kind (general, separate, written, guardian), notice version, channel and time. Consent is
bound to its purpose: a new purpose needs a new record (PIPL Art. 14). Withdrawal is one call and
only affects processing after it (Art. 15). Sensitive categories, providing/exporting/publishing
PI need separate consent (Art. 29, 23, 39, 25); a child under 14 needs a guardian (Art. 31).
Every record and withdrawal is appended to the record log in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from fenji.errors import InputError, choices
from fenji.infotypes import INFO_TYPES
from fenji.packs import load_pack
from fenji.records.config import pick, section
from fenji.records.db import Target, engine_of, from_db, now, session, to_db
from fenji.records.log import append_in, resolve_key
from fenji.records.models import ConsentRow
from fenji.records.subjects import Subject


@dataclass(frozen=True)
class ConsentRecord:
    """One consent as recorded (the subject as its keyed hash only)."""

    id: int
    subject: str
    subject_type: str
    purpose: str
    categories: tuple[str, ...]
    kind: str
    uses: tuple[str, ...]
    has_guardian: bool
    under_14: bool | None
    notice_version: str
    channel: str
    given_at: datetime
    withdrawn_at: datetime | None
    withdrawal_channel: str | None

    def active_at(self, at: datetime) -> bool:
        return self.given_at <= at and (self.withdrawn_at is None or self.withdrawn_at > at)


@dataclass(frozen=True)
class ConsentStatus:
    """The answer to "may ``purpose`` use ``category`` of this subject at ``at``?"."""

    allowed: bool
    purpose: str
    category: str
    at: datetime
    reason: str
    citations: tuple[str, ...] = ()
    consent_id: int | None = None


def _record(row: ConsentRow) -> ConsentRecord:
    return ConsentRecord(
        id=row.id, subject=row.subject, subject_type=row.subject_type, purpose=row.purpose,
        categories=tuple(row.categories), kind=row.kind, uses=tuple(row.uses),
        has_guardian=row.guardian is not None, under_14=row.under_14,
        notice_version=row.notice_version, channel=row.channel,
        given_at=from_db(row.given_at) or row.given_at,
        withdrawn_at=from_db(row.withdrawn_at), withdrawal_channel=row.withdrawal_channel,
    )


def same_purpose(a: str, b: str) -> bool:
    """Purposes compare without case and extra spaces; any other difference is a new purpose."""
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _check_purpose(purpose: str) -> str:
    purpose = " ".join(purpose.split())
    if not purpose or len(purpose) > 512:
        raise InputError(f"purpose must be 1 to 512 characters, got {len(purpose)}")
    return purpose


def _check_categories(categories: Iterable[str], pack_name: str) -> tuple[str, ...]:
    cats = tuple(dict.fromkeys(c.strip().upper() for c in categories if c.strip()))
    if not cats:
        raise InputError(f"name at least one PI category (info-type id): {choices(INFO_TYPES)}")
    known = set(INFO_TYPES) | set(load_pack(pack_name).info_types)
    for c in cats:
        if c not in known:
            raise InputError(f"PI category {c!r} is not one of {choices(known)}")
    return cats


def consent_requirements(
    categories: Sequence[str],
    uses: Sequence[str] = (),
    under_14: bool | None = None,
    pack_name: str = "general",
) -> tuple[frozenset[str], tuple[str, ...]]:
    """Kinds of consent that suffice, and why (one line per requirement, with its citation)."""
    cfg = section("consent")
    kinds = frozenset(cfg["kinds"])
    reasons: list[str] = []
    info = load_pack(pack_name).info_types
    sensitive = [c for c in categories if c in info and info[c].sensitive]
    if sensitive:
        kinds &= frozenset(cfg["separate_kinds"])
        reasons.append(f"sensitive PI ({', '.join(sensitive)}) needs separate consent"
                       f" ({cfg['sensitive_citation']})")
    for use in uses:
        spec = cfg["uses"][use]
        kinds &= frozenset(cfg["separate_kinds"])
        reasons.append(f"{spec['label']} needs separate consent ({spec['citation']})")
    if under_14:
        kinds &= frozenset({"guardian"})
        reasons.append(f"a child under {cfg['guardian_age']} needs a parent's or guardian's"
                       f" consent ({cfg['guardian_citation']})")
    return kinds, tuple(reasons)


def record_consent(
    target: Target,
    subject: Subject,
    purpose: str,
    categories: Iterable[str],
    kind: str = "general",
    *,
    notice_version: str,
    channel: str,
    given_at: datetime | None = None,
    uses: Iterable[str] = (),
    guardian: str | None = None,
    under_14: bool | None = None,
    pack_name: str = "general",
    signing_key: Ed25519PrivateKey | None = None,
) -> ConsentRecord:
    """Record one consent and log it. ``guardian`` is the keyed hash of the guardian's reference
    (``subjects.reference_hash``). Refused (InputError) when the kind does not meet what the
    categories, uses or the subject's age require."""
    cfg = section("consent")
    purpose = _check_purpose(purpose)
    cats = _check_categories(categories, pack_name)
    pick(kind, cfg["kinds"], "consent kind")
    use_list = tuple(dict.fromkeys(pick(u, cfg["uses"], "consent use") for u in uses))
    for name, value in (("notice version", notice_version), ("channel", channel)):
        if not value.strip() or len(value) > 128:
            raise InputError(f"{name} must be 1 to 128 characters")
    allowed, reasons = consent_requirements(cats, use_list, under_14, pack_name)
    if kind not in allowed:
        need = choices(allowed) if allowed else "none fits"
        raise InputError(f"a {kind} consent is not enough: {'; '.join(reasons)}; record it as"
                         f" one of: {need}")
    if kind == "guardian" and not guardian:
        raise InputError(f"guardian consent needs the guardian's reference"
                         f" ({cfg['guardian_citation']})")
    given = to_db(given_at or now())
    engine = engine_of(target)
    with session(engine, "cannot record consent") as s:
        row = ConsentRow(
            subject=subject.hash, subject_type=subject.type, purpose=purpose,
            categories=list(cats), kind=kind, uses=list(use_list), guardian=guardian,
            under_14=under_14, notice_version=notice_version.strip(), channel=channel.strip(),
            given_at=given, withdrawn_at=None, withdrawal_channel=None, recorded_at=to_db(now()),
        )
        s.add(row)
        s.flush()
        append_in(s, "consent.record", {
            "consent": row.id, "subject": subject.hash, "subject_type": subject.type,
            "purpose": purpose, "categories": list(cats), "kind": kind, "uses": list(use_list),
            "guardian": guardian is not None, "under_14": under_14,
            "notice_version": row.notice_version, "channel": row.channel, "given_at": given,
        }, signing_key=resolve_key(signing_key))
        return _record(row)


def withdraw_consent(
    target: Target,
    subject: Subject,
    purpose: str,
    *,
    at: datetime | None = None,
    channel: str = "",
    signing_key: Ed25519PrivateKey | None = None,
) -> list[ConsentRecord]:
    """Withdraw every consent of the subject for ``purpose`` still in force at ``at`` (now).

    Processing before ``at`` stays lawful (PIPL Art. 15); status checks after it say no.
    Returns the withdrawn records; InputError when nothing was in force.
    """
    when = to_db(at or now())
    engine = engine_of(target)
    with session(engine, "cannot withdraw consent") as s:
        rows = [r for r in s.scalars(select(ConsentRow).where(ConsentRow.subject == subject.hash)
                                     .with_for_update())
                if same_purpose(r.purpose, purpose) and r.given_at <= when
                and (r.withdrawn_at is None or r.withdrawn_at > when)]
        if not rows:
            raise InputError(f"no consent of this subject for purpose {purpose!r} is in force at"
                             f" {from_db(when):%Y-%m-%d %H:%M} UTC; nothing to withdraw")
        for r in rows:
            r.withdrawn_at = when
            r.withdrawal_channel = channel.strip() or None
        append_in(s, "consent.withdraw", {
            "consents": [r.id for r in rows], "subject": subject.hash, "purpose": rows[0].purpose,
            "at": when, "channel": channel.strip(),
        }, signing_key=resolve_key(signing_key))
        s.flush()
        return [_record(r) for r in rows]


def consent_history(target: Target, subject: Subject) -> list[ConsentRecord]:
    """Every consent record of the subject, oldest first."""
    engine = engine_of(target)
    with session(engine, "cannot read consents") as s:
        rows = s.scalars(select(ConsentRow).where(ConsentRow.subject == subject.hash)
                         .order_by(ConsentRow.given_at, ConsentRow.id))
        return [_record(r) for r in rows]


def consent_status(
    target: Target, subject: Subject, purpose: str, category: str, at: datetime | None = None
) -> ConsentStatus:
    """May ``purpose`` use ``category`` of the subject at ``at`` (default now)?"""
    cfg = section("consent")
    when = from_db(to_db(at or now())) or now()
    category = category.strip().upper()
    history = consent_history(target, subject)
    mine = [r for r in history if same_purpose(r.purpose, purpose)]
    covering = [r for r in mine if category in r.categories]

    def status(allowed: bool, reason: str, cites: tuple[str, ...] = (), cid: int | None = None
               ) -> ConsentStatus:
        return ConsentStatus(allowed, purpose, category, when, reason, cites, cid)

    active = [r for r in covering if r.active_at(when)]
    if active:
        r = active[-1]
        return status(True, f"consent #{r.id} ({r.kind}) given {r.given_at:%Y-%m-%d %H:%M} UTC"
                            f" covers {category} for this purpose", (), r.id)
    withdrawn = [r for r in covering if r.withdrawn_at is not None and r.withdrawn_at <= when]
    if withdrawn:
        r = withdrawn[-1]
        assert r.withdrawn_at is not None
        return status(False, f"consent #{r.id} was withdrawn {r.withdrawn_at:%Y-%m-%d %H:%M}"
                             " UTC; processing before then stays lawful, after it is not",
                      (cfg["withdrawal_citation"],), r.id)
    if covering:
        r = covering[0]
        return status(False, f"consent #{r.id} was only given {r.given_at:%Y-%m-%d %H:%M} UTC,"
                             " after this time", (), r.id)
    if mine:
        return status(False, f"the consents for this purpose do not cover {category}; a new PI"
                             " type needs fresh consent", (cfg["new_purpose_citation"],))
    others = sorted({r.purpose for r in history if category in r.categories})
    if others:
        return status(False, f"no consent for this purpose; consent for other purposes"
                             f" ({'; '.join(others)}) does not extend to it: a new purpose needs"
                             " fresh consent", (cfg["new_purpose_citation"],))
    return status(False, "no consent of this subject is recorded", ())
