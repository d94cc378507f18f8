"""ORM models of the catalogue. Every scan is kept; nothing here ever holds a raw PI value.

Tables are prefixed ``fenji_`` so the catalogue can share a database with other applications.
A change here needs a new migration in ``migrations/versions`` (a test compares the two).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

VERSION_TABLE = "fenji_alembic_version"

# SQLite only auto-increments INTEGER PRIMARY KEY; MySQL's BLOB stops at 64 KiB (lg_k > 15).
Id = BigInteger().with_variant(Integer(), "sqlite")
Blob = LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")
# MySQL's DATETIME drops microseconds unless asked for them.
Timestamp = DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")

STATUS_RUNNING = "running"
STATUS_COMPLETE = "complete"
STATUS_INTERRUPTED = "interrupted"
STATUSES = (STATUS_RUNNING, STATUS_COMPLETE, STATUS_INTERRUPTED)


class Base(DeclarativeBase):
    pass


class GradeMixin:
    """A ``fenji.model.Grade`` flattened into columns (all null when ungraded)."""

    grade_scheme: Mapped[str | None] = mapped_column(String(64))
    grade_level: Mapped[str | None] = mapped_column(String(32))
    grade_rank: Mapped[int | None] = mapped_column(Integer)
    grade_rule: Mapped[str | None] = mapped_column(String(128))
    grade_citations: Mapped[list[Any] | None] = mapped_column(JSON)


class ScanRow(Base):
    __tablename__ = "fenji_scans"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    started_at: Mapped[datetime] = mapped_column(Timestamp)  # UTC, naive
    finished_at: Mapped[datetime | None] = mapped_column(Timestamp)
    status: Mapped[str] = mapped_column(String(16), index=True)
    pack: Mapped[str] = mapped_column(String(64))
    catalogue_version: Mapped[str] = mapped_column(String(64))
    sample: Mapped[int | None] = mapped_column(BigInteger)  # rows per table; null = all
    tool_version: Mapped[str] = mapped_column(String(32))

    sources: Mapped[list[SourceRow]] = relationship(
        back_populates="scan", order_by="SourceRow.position", cascade="all, delete-orphan"
    )


class SourceRow(Base):
    __tablename__ = "fenji_sources"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    scan_id: Mapped[int] = mapped_column(
        ForeignKey("fenji_scans.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    uri: Mapped[str] = mapped_column(Text)  # passwords removed by the source reader
    kind: Mapped[str] = mapped_column(String(32))
    encoding: Mapped[str | None] = mapped_column(String(32))
    errors: Mapped[list[Any]] = mapped_column(JSON)

    scan: Mapped[ScanRow] = relationship(back_populates="sources")
    tables: Mapped[list[TableRow]] = relationship(
        back_populates="source", order_by="TableRow.position", cascade="all, delete-orphan"
    )
    documents: Mapped[list[DocumentRow]] = relationship(
        back_populates="source", order_by="DocumentRow.position", cascade="all, delete-orphan"
    )


class TableRow(GradeMixin, Base):
    __tablename__ = "fenji_tables"
    __table_args__ = (Index("ix_fenji_tables_name_scan", "name", "scan_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    # Denormalised so "latest table by name" needs no join through sources.
    scan_id: Mapped[int] = mapped_column(
        ForeignKey("fenji_scans.id", ondelete="CASCADE"), index=True
    )
    source_id: Mapped[int] = mapped_column(
        ForeignKey("fenji_sources.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(512))
    rows: Mapped[int | None] = mapped_column(BigInteger)
    rows_exact: Mapped[bool] = mapped_column(Boolean)
    rows_sampled: Mapped[int] = mapped_column(BigInteger)
    individuals_estimate: Mapped[int | None] = mapped_column(BigInteger)
    individuals_key: Mapped[str | None] = mapped_column(String(64))
    individuals_column: Mapped[str | None] = mapped_column(String(512))
    minors_under_14: Mapped[int | None] = mapped_column(BigInteger)
    sketch: Mapped[bytes | None] = mapped_column(Blob)  # DataSketches HLL of keyed hashes
    sketch_key_id: Mapped[str | None] = mapped_column(String(32))  # individuals.key_fingerprint
    warnings: Mapped[list[Any]] = mapped_column(JSON)

    source: Mapped[SourceRow] = relationship(back_populates="tables")
    columns: Mapped[list[ColumnRow]] = relationship(
        back_populates="table", order_by="ColumnRow.position", cascade="all, delete-orphan"
    )


class ColumnRow(GradeMixin, Base):
    __tablename__ = "fenji_columns"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    table_id: Mapped[int] = mapped_column(
        ForeignKey("fenji_tables.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(512))
    dtype: Mapped[str] = mapped_column(String(64))
    non_empty: Mapped[int] = mapped_column(BigInteger)
    category: Mapped[str | None] = mapped_column(String(128))
    sensitive: Mapped[bool] = mapped_column(Boolean)
    role: Mapped[str | None] = mapped_column(String(16))
    samples: Mapped[list[Any]] = mapped_column(JSON)  # masked values only

    table: Mapped[TableRow] = relationship(back_populates="columns")
    info_types: Mapped[list[InfoTypeRow]] = relationship(
        back_populates="column", order_by="InfoTypeRow.position", cascade="all, delete-orphan"
    )


class InfoTypeRow(Base):
    __tablename__ = "fenji_info_types"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    column_id: Mapped[int] = mapped_column(
        ForeignKey("fenji_columns.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)  # 0 = best
    type: Mapped[str] = mapped_column(String(64), index=True)
    score: Mapped[float] = mapped_column(Double)
    hits: Mapped[int] = mapped_column(BigInteger)
    checked: Mapped[int] = mapped_column(BigInteger)
    detector: Mapped[str] = mapped_column(String(128))
    evidence: Mapped[list[Any]] = mapped_column(JSON)  # [[name, value], ...]

    column: Mapped[ColumnRow] = relationship(back_populates="info_types")


class DocumentRow(GradeMixin, Base):
    __tablename__ = "fenji_documents"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    scan_id: Mapped[int] = mapped_column(
        ForeignKey("fenji_scans.id", ondelete="CASCADE"), index=True
    )
    source_id: Mapped[int] = mapped_column(
        ForeignKey("fenji_sources.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(512))
    chars: Mapped[int] = mapped_column(BigInteger)
    findings: Mapped[list[Any]] = mapped_column(JSON)  # offsets and masked forms only

    source: Mapped[SourceRow] = relationship(back_populates="documents")
