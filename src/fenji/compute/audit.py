"""The per-run record each party keeps: who took part, which protocol, what was revealed, when.

PIPL Art. 69 presumes the processor at fault unless it proves otherwise, so every joint run
(successful or not) leaves one row in the catalogue database on each side. The record holds
counts, aggregates and names of what was revealed, never an identifier or a row of data.

The table (``fenji.catalogue.compute_runs``) is part of the catalogue schema: opening the log
opens the catalogue, which brings its database to the newest Alembic revision (0004 adds it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from fenji import __version__
from fenji.catalogue.compute_runs import runs
from fenji.errors import CatalogueError


@dataclass(frozen=True)
class RunRecord:
    """One party's record of one joint run."""

    run_id: str
    command: str
    protocol: str
    role: str
    parties: tuple[Mapping[str, Any], ...]
    tls: bool
    inputs: Mapping[str, Any]
    revealed_to_me: tuple[str, ...]
    revealed_to_others: tuple[str, ...]
    result: Mapping[str, Any]
    started_at: datetime
    finished_at: datetime
    status: str = "ok"
    error: str | None = None
    purpose: str | None = None
    id: int | None = None
    tool_version: str = __version__


def _db_time(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None)


def _plain(value: Any) -> Any:
    """JSON-safe copy (tuples become lists) so the stored record reads back the same."""
    return json.loads(json.dumps(value, default=str))


class AuditLog:
    """The compute-run table in the catalogue database (migrated like the rest of it)."""

    def __init__(self, url: str | None = None) -> None:
        # Imported here: the catalogue package loads Alembic, which --no-catalogue never needs.
        from fenji.catalogue import Catalogue

        self._catalogue = Catalogue(url)  # opens and migrates; refuses a newer schema
        self.url = self._catalogue.url
        self.display_url = self._catalogue.display_url
        self.engine: Engine = self._catalogue.engine

    def _error(self, action: str, exc: SQLAlchemyError) -> CatalogueError:
        orig = getattr(exc, "orig", None) or exc
        detail = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
        if self.url.password:
            detail = detail.replace(str(self.url.password), "***")
        return CatalogueError(f"catalogue {self.display_url}: {action} compute runs: {detail}")

    def add(self, record: RunRecord) -> int:
        """Store one record; return its id."""
        row = {
            "run_id": record.run_id or "-",
            "command": record.command,
            "protocol": record.protocol,
            "role": record.role,
            "parties": _plain(list(record.parties)),
            "tls": record.tls,
            "inputs": _plain(record.inputs),
            "revealed_to_me": list(record.revealed_to_me),
            "revealed_to_others": list(record.revealed_to_others),
            "result": _plain(record.result),
            "purpose": record.purpose,
            "status": record.status,
            "error": record.error,
            "started_at": _db_time(record.started_at),
            "finished_at": _db_time(record.finished_at),
            "tool_version": record.tool_version,
        }
        try:
            with self.engine.begin() as conn:
                key = conn.execute(insert(runs).values(**row)).inserted_primary_key
        except SQLAlchemyError as exc:
            raise self._error("cannot record", exc) from exc
        return int(key[0]) if key else 0

    def recent(self, limit: int = 50, command: str | None = None) -> list[RunRecord]:
        """The newest records first."""
        query = select(runs).order_by(runs.c.id.desc()).limit(limit)
        if command is not None:
            query = query.where(runs.c.command == command)
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(query).mappings().all()
        except SQLAlchemyError as exc:
            raise self._error("cannot read", exc) from exc
        return [_record(dict(r)) for r in rows]

    def close(self) -> None:
        """Release the connection pool."""
        self.engine.dispose()


def _record(r: Mapping[str, Any]) -> RunRecord:
    return RunRecord(
        id=int(r["id"]),
        run_id=r["run_id"],
        command=r["command"],
        protocol=r["protocol"],
        role=r["role"],
        parties=tuple(r["parties"]),
        tls=bool(r["tls"]),
        inputs=r["inputs"],
        revealed_to_me=tuple(r["revealed_to_me"]),
        revealed_to_others=tuple(r["revealed_to_others"]),
        result=r["result"],
        purpose=r["purpose"],
        status=r["status"],
        error=r["error"],
        started_at=r["started_at"].replace(tzinfo=UTC),
        finished_at=r["finished_at"].replace(tzinfo=UTC),
        tool_version=r["tool_version"],
    )


def parties_list(
    addresses: Sequence[str], subjects: Sequence[str | None] = ()
) -> tuple[dict[str, Any], ...]:
    """The ``parties`` field: index, address and (when TLS verified it) certificate name."""
    subs = list(subjects) + [None] * (len(addresses) - len(subjects))
    return tuple(
        {"index": i, "address": a, **({"subject": s} if s else {})}
        for i, (a, s) in enumerate(zip(addresses, subs, strict=False))
    )


def as_dict(r: RunRecord) -> dict[str, Any]:
    """A record as plain data for ``fenji compute runs --format json``."""
    return {
        "id": r.id, "run_id": r.run_id, "command": r.command, "role": r.role,
        "status": r.status, "started_at": r.started_at.isoformat(timespec="seconds"),
        "finished_at": r.finished_at.isoformat(timespec="seconds"),
        "protocol": r.protocol, "parties": list(r.parties), "tls": r.tls,
        "inputs": dict(r.inputs), "revealed_to_me": list(r.revealed_to_me),
        "revealed_to_others": list(r.revealed_to_others), "result": dict(r.result),
        "purpose": r.purpose, "error": r.error, "tool_version": r.tool_version,
    }
