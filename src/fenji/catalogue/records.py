"""What the catalogue returns, and the mapping between ``fenji.model`` and the ORM rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from fenji.catalogue.models import (
    ColumnRow,
    DocumentRow,
    GradeMixin,
    InfoTypeRow,
    ScanRow,
    SourceRow,
    TableRow,
)
from fenji.model import (
    ColumnProfile,
    DocumentProfile,
    Grade,
    Individuals,
    InfoTypeHit,
    ScanResult,
    SourceProfile,
    TableProfile,
    TextFinding,
)


@dataclass(frozen=True)
class ScanSummary:
    """One line of ``Catalogue.list_scans()``."""

    id: int
    started_at: datetime
    finished_at: datetime | None
    status: str  # running | complete | interrupted
    pack: str
    catalogue_version: str
    sample: int | None
    tool_version: str
    sources: int
    tables: int
    pi_columns: int  # columns with at least one asserted info type
    highest_grade: Grade | None  # the strictest table grade (rank), citations left out


@dataclass(frozen=True)
class ScanRecord:
    """A stored scan: its catalogue id and status, and the result as the scanner made it."""

    id: int
    status: str
    tool_version: str
    result: ScanResult


@dataclass(frozen=True)
class TableRecord:
    """One table as recorded by one scan, with its individuals sketch."""

    scan_id: int
    started_at: datetime
    pack: str
    source_uri: str
    source_kind: str
    profile: TableProfile
    sketch_key_id: str | None = None  # fingerprint of the HMAC key that made the sketch

    @property
    def name(self) -> str:
        return self.profile.name

    @property
    def individuals(self) -> Individuals | None:
        return self.profile.individuals

    @property
    def sketch(self) -> bytes | None:
        ind = self.profile.individuals
        return ind.sketch if ind is not None and ind.sketch else None


def to_db_time(value: datetime) -> datetime:
    """UTC without tzinfo (portable across SQLite/PG/MySQL); naive input is local time."""
    return value.astimezone(UTC).replace(tzinfo=None)


def from_db_time(value: datetime | None) -> datetime | None:
    return None if value is None else value.replace(tzinfo=UTC)


def _grade_cols(grade: Grade | None) -> dict[str, object]:
    if grade is None:
        return {}
    return {
        "grade_scheme": grade.scheme,
        "grade_level": grade.level,
        "grade_rank": grade.rank,
        "grade_rule": grade.rule,
        "grade_citations": list(grade.citations),
    }


def _grade(row: GradeMixin) -> Grade | None:
    if row.grade_level is None or row.grade_rank is None:
        return None
    return Grade(
        scheme=row.grade_scheme or "",
        level=row.grade_level,
        rank=row.grade_rank,
        citations=tuple(row.grade_citations or ()),
        rule=row.grade_rule or "",
    )


def source_rows(scan_id: int, result: ScanResult, key_id: str | None) -> list[SourceRow]:
    """ORM rows for every source, table, column, info type and document of ``result``."""
    out: list[SourceRow] = []
    for s_pos, src in enumerate(result.sources):
        srow = SourceRow(
            scan_id=scan_id,
            position=s_pos,
            uri=src.uri,
            kind=src.kind,
            encoding=src.encoding,
            errors=list(src.errors),
        )
        for t_pos, table in enumerate(src.tables):
            ind = table.individuals
            srow.tables.append(
                TableRow(
                    scan_id=scan_id,
                    position=t_pos,
                    name=table.name,
                    rows=table.rows,
                    rows_exact=table.rows_exact,
                    rows_sampled=table.rows_sampled,
                    individuals_estimate=ind.estimate if ind else None,
                    individuals_key=ind.key if ind else None,
                    individuals_column=ind.column if ind else None,
                    minors_under_14=ind.minors_under_14 if ind else None,
                    sketch=(ind.sketch or None) if ind else None,
                    sketch_key_id=key_id if ind and ind.sketch else None,
                    warnings=list(table.warnings),
                    columns=[_column_row(i, c) for i, c in enumerate(table.columns)],
                    **_grade_cols(table.grade),
                )
            )
        for d_pos, doc in enumerate(src.documents):
            srow.documents.append(
                DocumentRow(
                    scan_id=scan_id,
                    position=d_pos,
                    name=doc.name,
                    chars=doc.chars,
                    findings=[
                        {
                            "type": f.type,
                            "start": f.start,
                            "end": f.end,
                            "score": f.score,
                            "masked": f.masked,
                            "detector": f.detector,
                        }
                        for f in doc.findings
                    ],
                    **_grade_cols(doc.grade),
                )
            )
        out.append(srow)
    return out


def _column_row(position: int, col: ColumnProfile) -> ColumnRow:
    return ColumnRow(
        position=position,
        name=col.name,
        dtype=col.dtype,
        non_empty=col.non_empty,
        category=col.category,
        sensitive=col.sensitive,
        role=col.role,
        samples=list(col.samples),
        info_types=[
            InfoTypeRow(
                position=i,
                type=h.type,
                score=h.score,
                hits=h.hits,
                checked=h.checked,
                detector=h.detector,
                evidence=[[k, v] for k, v in h.evidence],
            )
            for i, h in enumerate(col.info_types)
        ],
        **_grade_cols(col.grade),
    )


def table_profile(row: TableRow) -> TableProfile:
    """Rebuild a ``TableProfile`` (with its sketch) from its row."""
    individuals = None
    if row.individuals_estimate is not None:
        individuals = Individuals(
            estimate=row.individuals_estimate,
            key=row.individuals_key or "",
            column=row.individuals_column or "",
            sketch=row.sketch or b"",
            minors_under_14=row.minors_under_14,
        )
    return TableProfile(
        name=row.name,
        rows=row.rows,
        rows_exact=row.rows_exact,
        rows_sampled=row.rows_sampled,
        columns=tuple(_column_profile(c) for c in row.columns),
        individuals=individuals,
        grade=_grade(row),
        warnings=tuple(row.warnings or ()),
    )


def _column_profile(row: ColumnRow) -> ColumnProfile:
    return ColumnProfile(
        name=row.name,
        dtype=row.dtype,
        non_empty=row.non_empty,
        info_types=tuple(
            InfoTypeHit(
                type=h.type,
                score=h.score,
                hits=h.hits,
                checked=h.checked,
                detector=h.detector,
                evidence=tuple((str(k), v) for k, v in h.evidence or ()),
            )
            for h in row.info_types
        ),
        category=row.category,
        sensitive=row.sensitive,
        role=row.role,
        grade=_grade(row),
        samples=tuple(row.samples or ()),
    )


def _document_profile(row: DocumentRow) -> DocumentProfile:
    return DocumentProfile(
        name=row.name,
        chars=row.chars,
        findings=tuple(TextFinding(**f) for f in row.findings or ()),
        grade=_grade(row),
    )


def scan_result(scan: ScanRow) -> ScanResult:
    """Rebuild the ``ScanResult`` a scan row stands for."""
    started = from_db_time(scan.started_at)
    assert started is not None
    return ScanResult(
        sources=tuple(
            SourceProfile(
                uri=s.uri,
                kind=s.kind,
                tables=tuple(table_profile(t) for t in s.tables),
                documents=tuple(_document_profile(d) for d in s.documents),
                encoding=s.encoding,
                errors=tuple(s.errors or ()),
            )
            for s in scan.sources
        ),
        pack=scan.pack,
        catalogue_version=scan.catalogue_version,
        started_at=started,
        finished_at=from_db_time(scan.finished_at) or started,
        sample=scan.sample,
        complete=scan.status == "complete",
    )
