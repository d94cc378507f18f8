"""The catalogue table of ``fenji compute`` runs (``fenji.compute.audit`` reads and writes it).

Defined on the catalogue's metadata so migration 0004 creates it and the schema test checks it.
It holds counts, aggregates and names of what was revealed, never an identifier or a data row.
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, String, Table, Text

from fenji.catalogue.models import Base, Id, Timestamp

runs = Table(
    "fenji_compute_runs",
    Base.metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("run_id", String(64), nullable=False, index=True),  # shared by all parties of a run
    Column("command", String(16), nullable=False),  # psi | stats | train
    Column("protocol", String(200), nullable=False),
    Column("role", String(64), nullable=False),  # serve | connect | party 1 of 3
    Column("parties", JSON, nullable=False),  # [{"index", "address", "subject"}]
    Column("tls", Boolean, nullable=False),
    Column("inputs", JSON, nullable=False),  # source, columns, info type, counts
    Column("revealed_to_me", JSON, nullable=False),
    Column("revealed_to_others", JSON, nullable=False),
    Column("result", JSON, nullable=False),  # sizes / aggregates / model (no identifiers)
    Column("purpose", Text, nullable=True),
    Column("status", String(16), nullable=False),  # ok | failed
    Column("error", Text, nullable=True),
    Column("started_at", Timestamp, nullable=False),
    Column("finished_at", Timestamp, nullable=False),
    Column("tool_version", String(32), nullable=False),
)
