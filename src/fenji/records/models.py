"""ORM models of the records kept in the catalogue: consents, rights requests, incidents, PIAs
and the tamper-evident log.

Declared on the catalogue's ``Base`` so the catalogue's Alembic migrations (revision
``0003_records``) and its schema check see them. Data subjects appear only as keyed hashes
(hex HMAC-SHA256 of the normalised identifier, ``fenji.records.subjects``), never raw.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, String, Text
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column

from fenji.catalogue.models import Base, Id, Timestamp

# MySQL's TEXT stops at 64 KiB; a log entry's payload may be longer.
LongText = Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")

Hash = String(64)  # hex digest


class ConsentRow(Base):
    __tablename__ = "fenji_consents"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    subject: Mapped[str] = mapped_column(Hash, index=True)
    subject_type: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(512))
    categories: Mapped[list[Any]] = mapped_column(JSON)  # info-type ids
    kind: Mapped[str] = mapped_column(String(16))
    uses: Mapped[list[Any]] = mapped_column(JSON)  # provide | export | publish
    guardian: Mapped[str | None] = mapped_column(Hash)  # keyed hash of the guardian's reference
    under_14: Mapped[bool | None] = mapped_column(Boolean)
    notice_version: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(128))
    given_at: Mapped[datetime] = mapped_column(Timestamp)  # UTC, naive
    withdrawn_at: Mapped[datetime | None] = mapped_column(Timestamp)
    withdrawal_channel: Mapped[str | None] = mapped_column(String(128))
    recorded_at: Mapped[datetime] = mapped_column(Timestamp)


class RightsRequestRow(Base):
    __tablename__ = "fenji_rights_requests"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    subject: Mapped[str] = mapped_column(Hash, index=True)
    subject_type: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True)  # open | done | refused
    received_at: Mapped[datetime] = mapped_column(Timestamp)
    due_at: Mapped[datetime] = mapped_column(Timestamp)
    regimes: Mapped[list[Any]] = mapped_column(JSON)
    requester: Mapped[str] = mapped_column(String(16))  # subject | relative | agent
    deceased: Mapped[bool] = mapped_column(Boolean)
    relation: Mapped[str | None] = mapped_column(String(16))
    arrangements: Mapped[str | None] = mapped_column(String(16))  # none | allows | forbids
    arrangements_note: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(Timestamp)
    reason: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # counts per table, package


class IncidentRow(Base):
    __tablename__ = "fenji_incidents"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(256))
    kind: Mapped[str] = mapped_column(String(16))  # leak | tampering | loss
    status: Mapped[str] = mapped_column(String(16), index=True)  # open | closed
    detected_at: Mapped[datetime] = mapped_column(Timestamp)
    occurred_at: Mapped[datetime | None] = mapped_column(Timestamp)
    categories: Mapped[list[Any]] = mapped_column(JSON)  # declared info-type ids
    tables: Mapped[list[Any]] = mapped_column(JSON)  # catalogue table names
    individuals: Mapped[int | None] = mapped_column(BigInteger)  # declared
    sensitive_individuals: Mapped[int | None] = mapped_column(BigInteger)
    minors_under_14: Mapped[int | None] = mapped_column(BigInteger)
    processor: Mapped[dict[str, Any]] = mapped_column(JSON)  # name, ciio, state_organ, gdpr
    cause: Mapped[str | None] = mapped_column(Text)
    harm: Mapped[str | None] = mapped_column(Text)
    remedies: Mapped[str | None] = mapped_column(Text)
    advice: Mapped[str | None] = mapped_column(Text)  # what individuals can do
    contact: Mapped[str | None] = mapped_column(Text)
    authority_notified_at: Mapped[datetime | None] = mapped_column(Timestamp)
    individuals_notified_at: Mapped[datetime | None] = mapped_column(Timestamp)
    supervisory_notified_at: Mapped[datetime | None] = mapped_column(Timestamp)
    incident_reported_at: Mapped[datetime | None] = mapped_column(Timestamp)
    handling_ended_at: Mapped[datetime | None] = mapped_column(Timestamp)
    summary_reported_at: Mapped[datetime | None] = mapped_column(Timestamp)
    updated_at: Mapped[datetime] = mapped_column(Timestamp)


class PiaRow(Base):
    __tablename__ = "fenji_pias"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    activity: Mapped[str] = mapped_column(String(256))
    purpose: Mapped[str | None] = mapped_column(String(512))
    triggers: Mapped[list[Any]] = mapped_column(JSON)
    assessed_at: Mapped[datetime] = mapped_column(Timestamp)
    conclusion: Mapped[str] = mapped_column(Text)
    report: Mapped[str | None] = mapped_column(String(1024))  # where the report is kept
    keep_until: Mapped[datetime] = mapped_column(Timestamp)  # PIPL Art. 56: at least 3 years


class LogEntryRow(Base):
    """One leaf of the record log. ``seq`` is the 1-based leaf index, assigned without gaps."""

    __tablename__ = "fenji_log"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    recorded_at: Mapped[datetime] = mapped_column(Timestamp)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[str] = mapped_column(LongText)  # canonical JSON, no raw PI
    prev_hash: Mapped[str] = mapped_column(Hash)  # leaf hash of the entry before (hash chain)
    leaf_hash: Mapped[str] = mapped_column(Hash)  # SHA-256(0x00 || entry), RFC 9162


class LogHeadRow(Base):
    """A signed tree head: the Merkle root of the first ``size`` entries, signed with Ed25519."""

    __tablename__ = "fenji_log_heads"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    size: Mapped[int] = mapped_column(BigInteger, index=True)
    root_hash: Mapped[str] = mapped_column(Hash)
    signed_at: Mapped[datetime] = mapped_column(Timestamp)
    key_id: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))  # hex Ed25519 signature
