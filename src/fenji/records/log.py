"""The tamper-evident record log: a hash chain and an RFC 9162 Merkle tree in the catalogue,
with Ed25519-signed tree heads.

Each entry is the canonical JSON ``{"v":1,"time":…,"kind":…,"payload":…,"prev":…}`` where
``prev`` is the leaf hash of the entry before (64 zeros for the first). Its leaf hash is
SHA-256(0x00 || entry). A signed tree head fixes the Merkle root of the first N entries; when a
signing key is configured every append signs a new head, so ``verify`` can name a rewritten entry
even if an attacker recomputed every hash. Payloads never hold raw PI: subjects appear as keyed
hashes (``fenji.records.subjects``), and values that look like raw identifiers are refused.

>>> # the lead's hook: log a decision (payload: JSON values, no raw PI)
>>> # from fenji.records.log import append_event
>>> # append_event(catalogue, "check.decision", {"activity": "act.yaml", "verdict": "deny"})
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import polars as pl
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fenji.catalogue.models import VERSION_TABLE
from fenji.detect.normalize import valid_mask
from fenji.errors import InputError
from fenji.records import merkle, signing
from fenji.records.db import Target, engine_of, from_db, now, session, to_db
from fenji.records.models import LogEntryRow, LogHeadRow

GENESIS = "0" * 64
KIND_MAX = 64
# Raw identifiers that must never reach a payload (checked over every string in it, vectorised).
_GUARDED_TYPES = ("CN_RESIDENT_ID", "CN_MOBILE_PHONE", "EMAIL_ADDRESS", "BANK_CARD_NUMBER")
_APPEND_RETRIES = 5
_CANDIDATE = re.compile(r"@|^[\s+\-()（）0-9０-９]{10,30}[0-9０-９Xx]$")
_PG_LOCK_KEY = 0x66656E6A69  # "fenji": the advisory lock id of the record log


@dataclass(frozen=True)
class EntryRef:
    """Where an event landed in the log."""

    seq: int  # 1-based position (Merkle leaf index)
    leaf_hash: str  # hex
    kind: str
    recorded_at: datetime
    head_id: int | None = None  # signed tree head made with this append, if a key was given


@dataclass(frozen=True)
class LogEntry:
    """One stored entry as read back (payload parsed)."""

    seq: int
    recorded_at: datetime
    kind: str
    payload: Mapping[str, Any]
    prev_hash: str
    leaf_hash: str


@dataclass(frozen=True)
class TreeHead:
    """A signed tree head as stored."""

    id: int
    size: int
    root_hash: str
    signed_at: datetime
    key_id: str
    signature: str

    def fields(self) -> signing.HeadFields:
        return signing.HeadFields(self.size, self.root_hash, iso(self.signed_at), self.key_id)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "size": self.size, "root_hash": self.root_hash,
                "signed_at": iso(self.signed_at), "key_id": self.key_id,
                "signature": self.signature}


# --- encoding --------------------------------------------------------------------------------


def iso(value: datetime) -> str:
    """UTC time with microseconds, as written into entries and heads."""
    aware = from_db(to_db(value))
    assert aware is not None
    return aware.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise InputError(f"log payload: {type(value).__name__} values cannot be logged; use JSON types")


def canonical(value: Any) -> str:
    """Canonical JSON (sorted keys, no spaces, UTF-8 text kept)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def entry_bytes(recorded_at: datetime, kind: str, payload: str, prev_hash: str) -> bytes:
    """The bytes a leaf hash covers; ``payload`` is the stored canonical JSON text."""
    doc = {"v": 1, "time": iso(recorded_at), "kind": kind, "payload": json.loads(payload),
           "prev": prev_hash}
    return canonical(doc).encode("utf-8")


def _strings(value: Any, path: str, out: list[tuple[str, str]]) -> None:
    if isinstance(value, str):
        out.append((path, value))
    elif isinstance(value, Mapping):
        for k, v in value.items():
            _strings(v, f"{path}.{k}" if path else str(k), out)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _strings(v, f"{path}[{i}]", out)


def refuse_raw_pi(payload: Mapping[str, Any]) -> None:
    """InputError naming the field when a payload string is a raw identifier."""
    found: list[tuple[str, str]] = []
    _strings(payload, "", found)
    # Cheap pre-filter: only digit runs (with separators) and e-mail-like strings can be one.
    found = [(k, v) for k, v in found if _CANDIDATE.search(v)]
    if not found:
        return
    values = pl.Series([v for _, v in found], dtype=pl.Utf8)
    for info_type in _GUARDED_TYPES:
        hits = valid_mask(values, info_type, hinted=False).to_list()
        if any(hits):
            field = found[hits.index(True)][0]
            raise InputError(
                f"log payload field {field!r} holds what looks like a raw {info_type}; log its"
                " keyed hash instead (fenji.records.subjects.keyed)"
            )


# --- appending -------------------------------------------------------------------------------


def append_event(
    target: Target,
    kind: str,
    payload: Mapping[str, Any],
    *,
    at: datetime | None = None,
    signing_key: Ed25519PrivateKey | None = None,
) -> EntryRef:
    """Append one event to the log in its own transaction and return where it landed.

    ``target`` is a ``Catalogue``, an engine on a catalogue database, or a catalogue URL.
    ``payload`` holds JSON values (datetimes become ISO text) and never raw PI. With a
    ``signing_key`` (default: the key file named by env ``FENJI_SIGNING_KEY``), a new signed tree
    head covering this entry is stored with it.
    """
    engine = engine_of(target)
    key = resolve_key(signing_key)
    with session(engine, f"cannot append {kind!r} to the record log") as s:
        return append_in(s, kind, payload, at=at, signing_key=key)


def append_in(
    s: Session,
    kind: str,
    payload: Mapping[str, Any],
    *,
    at: datetime | None = None,
    signing_key: Ed25519PrivateKey | None = None,
) -> EntryRef:
    """``append_event`` inside the caller's transaction (so a record and its log entry commit or
    roll back together)."""
    if not kind or len(kind) > KIND_MAX:
        raise InputError(f"log entry kind must be 1 to {KIND_MAX} characters, got {len(kind)}")
    refuse_raw_pi(payload)
    text = canonical(_jsonable(dict(payload)))
    recorded_at = to_db(at or now())
    _lock(s)
    for attempt in range(_APPEND_RETRIES):
        last = s.execute(
            select(LogEntryRow.seq, LogEntryRow.leaf_hash)
            .order_by(LogEntryRow.seq.desc())
            .limit(1)
        ).first()
        seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
        digest = merkle.leaf_hash(entry_bytes(recorded_at, kind, text, prev)).hex()
        try:
            with s.begin_nested():
                s.add(LogEntryRow(seq=seq, recorded_at=recorded_at, kind=kind, payload=text,
                                  prev_hash=prev, leaf_hash=digest))
        except IntegrityError:
            if attempt == _APPEND_RETRIES - 1:
                raise
            continue  # another writer took this seq; read the new last entry and retry
        head_id = _sign(s, signing_key).id if signing_key is not None else None
        return EntryRef(seq, digest, kind, from_db(recorded_at) or recorded_at, head_id)
    raise AssertionError("unreachable")


def _lock(s: Session) -> None:
    """Serialise appenders for the rest of the transaction, so each reads the true last entry.

    A row lock on "the last entry" is not enough: on PostgreSQL a waiter wakes up holding the old
    last row, on InnoDB the gap locks deadlock. PostgreSQL takes a transaction-scoped advisory
    lock; MySQL/MariaDB lock the catalogue's single Alembic version row, which always exists and
    which nothing else updates outside migrations. SQLite serialises writers with its database
    lock; a lost race shows as a duplicate ``seq`` and is retried.
    """
    dialect = s.get_bind().dialect.name
    if dialect == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
    elif dialect in ("mysql", "mariadb"):
        s.execute(text(f"SELECT version_num FROM {VERSION_TABLE} FOR UPDATE"))


def _leaf_hashes(s: Session) -> list[bytes]:
    return [bytes.fromhex(h) for h in
            s.scalars(select(LogEntryRow.leaf_hash).order_by(LogEntryRow.seq))]


def _sign(s: Session, key: Ed25519PrivateKey, allow_new_key: bool = True) -> TreeHead:
    leaves = _leaf_hashes(s)
    kid = signing.key_id(key.public_key())
    if not allow_new_key:
        previous = s.scalar(select(LogHeadRow.key_id).order_by(LogHeadRow.id.desc()).limit(1))
        if previous is not None and previous != kid:
            raise InputError(
                f"signing key {kid} is not the key of the latest tree head ({previous}); pass the"
                " same key, or allow a new key to start signing (key rotation)"
            )
    signed_at = to_db(now())
    fields = signing.HeadFields(len(leaves), merkle.root(leaves).hex(), iso(signed_at), kid)
    row = LogHeadRow(size=fields.size, root_hash=fields.root_hash, signed_at=signed_at,
                     key_id=kid, signature=signing.sign(key, fields))
    s.add(row)
    s.flush()
    return _head(row)


def sign_head(target: Target, key: Ed25519PrivateKey, *, allow_new_key: bool = False) -> TreeHead:
    """Sign and store a tree head over the whole log. A key other than the latest head's is
    refused unless ``allow_new_key``."""
    engine = engine_of(target)
    with session(engine, "cannot sign a tree head") as s:
        return _sign(s, key, allow_new_key)


# --- reading ---------------------------------------------------------------------------------


def _head(row: LogHeadRow) -> TreeHead:
    return TreeHead(row.id, row.size, row.root_hash, from_db(row.signed_at) or row.signed_at,
                    row.key_id, row.signature)


def read_log(target: Target) -> tuple[list[LogEntryRow], list[TreeHead]]:
    """All stored entry rows (by seq) and heads (oldest first), as detached rows."""
    engine = engine_of(target)
    with session(engine, "cannot read the record log") as s:
        rows = list(s.scalars(select(LogEntryRow).order_by(LogEntryRow.seq)))
        heads = [_head(h) for h in s.scalars(select(LogHeadRow).order_by(LogHeadRow.id))]
        s.expunge_all()
    return rows, heads


def entries(target: Target, kind_prefix: str | None = None) -> list[LogEntry]:
    """Entries in order, payloads parsed (optionally only kinds starting with ``kind_prefix``)."""
    rows, _ = read_log(target)
    out = []
    for r in rows:
        if kind_prefix and not r.kind.startswith(kind_prefix):
            continue
        try:
            payload = json.loads(r.payload)
        except ValueError:
            payload = {"unreadable": True}
        out.append(LogEntry(r.seq, from_db(r.recorded_at) or r.recorded_at, r.kind,
                            payload, r.prev_hash, r.leaf_hash))
    return out


def latest_head(target: Target) -> TreeHead | None:
    """The newest signed tree head, if any."""
    _, heads = read_log(target)
    return heads[-1] if heads else None


def log_size(target: Target) -> int:
    """Number of entries."""
    engine = engine_of(target)
    with session(engine, "cannot read the record log") as s:
        return int(s.scalar(select(func.count()).select_from(LogEntryRow)) or 0)


def heads_for(heads: Sequence[TreeHead], size: int) -> TreeHead | None:
    """The newest head covering at least ``size`` entries."""
    covering = [h for h in heads if h.size >= size]
    return covering[-1] if covering else None


def resolve_key(key: Ed25519PrivateKey | None) -> Ed25519PrivateKey | None:
    """``key``, else the key named by env ``FENJI_SIGNING_KEY``, else None (no head signed)."""
    return key or signing.signing_key_from_env()


def text_digest(text: str | None) -> str | None:
    """SHA-256 (hex) of free text: the log proves what was written without copying it, since
    operators' notes may mention people."""
    return None if text is None else hashlib.sha256(text.encode("utf-8")).hexdigest()
