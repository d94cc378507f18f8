"""The export ledger: exports performed, kept in the catalogue as counts and sketches only.

PIPL Art. 38-40 and the 2024 cross-border provisions count people sent abroad cumulatively
since 1 January. Each recorded export keeps the union HLL sketch of its catalogue tables (keyed
hashes, never identifiers), so a person exported twice counts once in the yearly totals. Data
without a sketch (declared counts, tables with no identifier column) can only be added up: totals
that needed such a sum are flagged as upper bounds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, BigInteger, Date, Index, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from fenji.catalogue.models import Base, Blob, Id, Timestamp
from fenji.catalogue.records import from_db_time, to_db_time
from fenji.individuals import union_estimate

if TYPE_CHECKING:
    from fenji.catalogue.store import Catalogue


class ExportRow(Base):
    """One performed export (``fenji exports record``)."""

    __tablename__ = "fenji_exports"
    __table_args__ = (Index("ix_fenji_exports_export_date", "export_date"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    export_date: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(Timestamp)  # UTC, naive
    activity: Mapped[str] = mapped_column(String(512))  # activity file it was recorded from
    processor: Mapped[str] = mapped_column(String(256))
    recipient: Mapped[str] = mapped_column(String(256))
    country: Mapped[str | None] = mapped_column(String(8))
    purpose: Mapped[str | None] = mapped_column(Text)
    info_types: Mapped[list[Any]] = mapped_column(JSON)
    tables: Mapped[list[Any]] = mapped_column(JSON)  # [[name, scan_id], ...]
    individuals: Mapped[int] = mapped_column(BigInteger)
    sensitive_individuals: Mapped[int] = mapped_column(BigInteger)
    # The parts of the two counts that no sketch covers (declared data, tables without a key).
    unsketched_individuals: Mapped[int] = mapped_column(BigInteger)
    unsketched_sensitive: Mapped[int] = mapped_column(BigInteger)
    sketch: Mapped[bytes | None] = mapped_column(Blob)
    sensitive_sketch: Mapped[bytes | None] = mapped_column(Blob)
    sketch_key_id: Mapped[str | None] = mapped_column(String(32))


@dataclass(frozen=True)
class ExportRecord:
    """One export as stored in the ledger (no raw values: counts, info-type ids, sketches)."""

    date: date
    activity: str
    processor: str
    recipient: str
    country: str | None
    purpose: str | None
    info_types: tuple[str, ...]
    tables: tuple[tuple[str, int], ...]  # catalogue tables (name, scan id) it drew on
    individuals: int
    sensitive_individuals: int = 0
    unsketched_individuals: int = 0  # part of ``individuals`` not in ``sketch``
    unsketched_sensitive: int = 0
    sketch: bytes | None = field(default=None, repr=False)  # union HLL of the keyed hashes
    sensitive_sketch: bytes | None = field(default=None, repr=False)
    key_id: str | None = None  # fingerprint of the HMAC key behind the sketches
    id: int | None = None  # set once stored
    recorded_at: datetime | None = None


@dataclass(frozen=True)
class Total:
    """Distinct people; ``upper_bound`` when counts without a common sketch were added."""

    individuals: int
    upper_bound: bool = False


@dataclass(frozen=True)
class ExportSummary:
    """Cumulative distinct people exported in one calendar year."""

    year: int
    exports: int
    individuals: Total
    sensitive: Total
    by_info_type: Mapping[str, Total]  # people in exports that included the info type
    notes: tuple[str, ...] = ()


def record_export(cat: Catalogue, record: ExportRecord) -> int:
    """Store ``record`` in the ledger of ``cat`` and return its id."""
    with cat._session("cannot record export") as session:
        row = ExportRow(
            export_date=record.date,
            recorded_at=to_db_time(record.recorded_at or datetime.now(UTC)),
            activity=record.activity[:512],
            processor=record.processor[:256],
            recipient=record.recipient[:256],
            country=record.country,
            purpose=record.purpose,
            info_types=list(record.info_types),
            tables=[[name, scan] for name, scan in record.tables],
            individuals=record.individuals,
            sensitive_individuals=record.sensitive_individuals,
            unsketched_individuals=record.unsketched_individuals,
            unsketched_sensitive=record.unsketched_sensitive,
            sketch=record.sketch,
            sensitive_sketch=record.sensitive_sketch,
            sketch_key_id=record.key_id if (record.sketch or record.sensitive_sketch) else None,
        )
        session.add(row)
        session.flush()
        return row.id


def list_exports(cat: Catalogue, year: int | None = None) -> list[ExportRecord]:
    """Recorded exports, oldest first; only those dated in ``year`` when given."""
    query = select(ExportRow).order_by(ExportRow.export_date, ExportRow.id)
    if year is not None:  # a range, not extract(year): portable and uses the index
        query = query.where(
            ExportRow.export_date >= date(year, 1, 1), ExportRow.export_date < date(year + 1, 1, 1)
        )
    with cat._session("cannot read the export ledger") as session:
        return [_record(row) for row in session.scalars(query)]


def _record(row: ExportRow) -> ExportRecord:
    return ExportRecord(
        date=row.export_date,
        activity=row.activity,
        processor=row.processor,
        recipient=row.recipient,
        country=row.country,
        purpose=row.purpose,
        info_types=tuple(row.info_types or ()),
        tables=tuple((str(n), int(s)) for n, s in row.tables or ()),
        individuals=row.individuals,
        sensitive_individuals=row.sensitive_individuals,
        unsketched_individuals=row.unsketched_individuals,
        unsketched_sensitive=row.unsketched_sensitive,
        sketch=row.sketch,
        sensitive_sketch=row.sensitive_sketch,
        key_id=row.sketch_key_id,
        id=row.id,
        recorded_at=from_db_time(row.recorded_at),
    )


def distinct_people(
    parts: Iterable[tuple[int, int, bytes | None, str | None]],
) -> tuple[Total, bool]:
    """Distinct people over ``(total, unsketched, sketch, key_id)`` parts.

    Sketches made with the same key are unioned (a person counts once); the unsketched parts,
    and whole totals that have no sketch, are added. Returns the total and whether sketches of
    different keys had to be added (each key's union counted separately).
    """
    by_key: dict[str | None, list[bytes]] = {}
    loose: list[int] = []
    for total, unsketched, sketch, key_id in parts:
        if sketch:
            by_key.setdefault(key_id, []).append(sketch)
            if unsketched > 0:
                loose.append(unsketched)
        elif total > 0:
            loose.append(total)
    unions = [union_estimate(group) for group in by_key.values()]
    mixed_keys = len(unions) > 1
    summed = mixed_keys or (bool(loose) and len(unions) + len(loose) > 1)
    return Total(sum(unions) + sum(loose), summed), mixed_keys


def summarize_exports(records: Sequence[ExportRecord], year: int) -> ExportSummary:
    """Cumulative distinct people in the records dated in ``year`` (others are ignored)."""
    chosen = [r for r in records if r.date.year == year]
    people, keys_a = distinct_people(
        (r.individuals, r.unsketched_individuals, r.sketch, r.key_id) for r in chosen
    )
    sensitive, keys_b = distinct_people(
        (r.sensitive_individuals, r.unsketched_sensitive, r.sensitive_sketch, r.key_id)
        for r in chosen
    )
    by_type: dict[str, Total] = {}
    for info_type in sorted({t for r in chosen for t in r.info_types}):
        by_type[info_type], _ = distinct_people(
            (r.individuals, r.unsketched_individuals, r.sketch, r.key_id)
            for r in chosen
            if info_type in r.info_types
        )
    notes: list[str] = []
    if people.upper_bound or sensitive.upper_bound:
        notes.append(
            "some exports have no sketch (declared data, or tables without an identifier "
            "column): their counts are added, so totals are an upper bound (a person in two "
            "exports may be counted twice)"
        )
    if keys_a or keys_b:
        keys = Counter(r.key_id for r in chosen if r.sketch)
        notes.append(
            f"sketches were made with {len(keys)} different HMAC keys; each key's people are "
            "counted separately and added (upper bound)"
        )
    if by_type:
        notes.append(
            "per info type: distinct people in the exports that included that info type"
        )
    return ExportSummary(
        year=year,
        exports=len(chosen),
        individuals=people,
        sensitive=sensitive,
        by_info_type=MappingProxyType(by_type),
        notes=tuple(notes),
    )
