"""Frozen result types passed between pipeline stages.

Each stage takes the previous stage's dataclasses and returns its own; none of them ever holds a
raw personal-information value (samples are masked before they get here).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

Evidence = tuple[tuple[str, str | int | float], ...]


@dataclass(frozen=True)
class InfoTypeHit:
    """One info type asserted for a column: who said so, on what evidence, how sure."""

    type: str  # stable info-type id, e.g. CN_RESIDENT_ID
    score: float  # 0..1
    hits: int  # validated matches among the checked values
    checked: int  # non-empty values examined
    detector: str  # recognizer id that produced it
    evidence: Evidence = ()  # e.g. (("name_hint", "sfzh"), ("checksum_valid", 991))


@dataclass(frozen=True)
class Grade:
    """A grade under one scheme, with the rule and citations it rests on."""

    scheme: str  # e.g. "GB/T 43697-2024"
    level: str  # stable level id, e.g. "general-4", "L3", "important"
    rank: int  # comparable across levels of one scheme (higher = stricter)
    citations: tuple[str, ...] = ()
    rule: str = ""  # id of the grading rule that decided it


@dataclass(frozen=True)
class ColumnProfile:
    """What fenji concluded about one column."""

    name: str
    dtype: str
    non_empty: int  # non-empty values in the sample
    info_types: tuple[InfoTypeHit, ...] = ()  # best first; only asserted types
    category: str | None = None  # taxonomy id, e.g. "personal.identity"
    sensitive: bool = False  # sensitive PI (PIPL Art. 28) under the chosen catalogue
    role: str | None = None  # "direct" | "quasi" | "sensitive" identifier role (GB/T 42460)
    grade: Grade | None = None
    samples: tuple[str, ...] = ()  # masked values only


@dataclass(frozen=True)
class Individuals:
    """Distinct individuals in a table, estimated from keyed hashes in an HLL sketch."""

    estimate: int
    key: str  # info type of the identifier column used
    column: str
    sketch: bytes = field(default=b"", repr=False)  # serialised DataSketches HLL (keyed hashes)
    minors_under_14: int | None = None  # from birth dates in IDs / DOB columns, when known


@dataclass(frozen=True)
class TableProfile:
    """One table (a file, a sheet, a database table)."""

    name: str
    rows: int | None  # None when unknown
    rows_exact: bool  # False when taken from database statistics
    rows_sampled: int
    columns: tuple[ColumnProfile, ...]
    individuals: Individuals | None = None
    grade: Grade | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class TextFinding:
    """One span of PI in prose (character offsets into the decoded text)."""

    type: str
    start: int
    end: int
    score: float
    masked: str
    detector: str = ""


@dataclass(frozen=True)
class DocumentProfile:
    """One prose document (text, log, e-mail, PDF ...)."""

    name: str
    chars: int
    findings: tuple[TextFinding, ...] = ()
    grade: Grade | None = None


@dataclass(frozen=True)
class SourceProfile:
    """One source the user named: a file, a directory member, or a database."""

    uri: str  # passwords removed
    kind: str  # "csv", "parquet", "sqlite", "postgresql" ...
    tables: tuple[TableProfile, ...] = ()
    documents: tuple[DocumentProfile, ...] = ()
    encoding: str | None = None  # detected text encoding, for text files
    errors: tuple[str, ...] = ()  # one-line messages; the scan went on


@dataclass(frozen=True)
class ScanResult:
    """Everything one ``fenji scan`` found."""

    sources: tuple[SourceProfile, ...]
    pack: str
    catalogue_version: str  # sensitive-PI catalogue followed, e.g. "gbt35273-2020"
    started_at: datetime
    finished_at: datetime
    sample: int | None  # rows per table; None = all
    complete: bool = True  # False when interrupted
