"""The JSON report contract (``fenji scan --format json``) and atomic report writing.

Named ``contract`` rather than ``json`` so ``import json`` inside the package stays unambiguous.
The keys and meanings in ARCHITECTURE.md are stable; everything else here is additive. The JSON
Schema of the contract ships as ``fenji/schemas/report.schema.json``.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import fenji
from fenji.errors import InputError
from fenji.model import (
    ColumnProfile,
    DocumentProfile,
    Evidence,
    Grade,
    Individuals,
    InfoTypeHit,
    ScanResult,
    SourceProfile,
    TableProfile,
    TextFinding,
)

SCORE_DECIMALS = 3
# scheme://user:password@ inside free text (driver error messages sometimes echo the URL).
_URL_PASSWORD = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]*):[^\s@/]*@")


def redact_uri(uri: str) -> str:
    """Drop a password from a URL-like source URI (belt and braces: sources already strip it).

    >>> redact_uri("postgresql://analyst:s3cret@db:5432/crm")
    'postgresql://analyst:***@db:5432/crm'
    >>> redact_uri("data/people.csv")
    'data/people.csv'
    """
    if "://" not in uri:
        return uri
    try:
        parts = urlsplit(uri)
        password = parts.password
    except ValueError:
        return uri
    if not password:
        return uri
    host = parts.netloc.rsplit("@", 1)[1]
    netloc = f"{parts.username or ''}:***@{host}"
    return urlunsplit(parts._replace(netloc=netloc))


def redact_text(text: str) -> str:
    """Mask passwords of URLs embedded in a message (errors, warnings).

    >>> redact_text("cannot connect to mysql+pymysql://root:hunter2@db/crm: refused")
    'cannot connect to mysql+pymysql://root:***@db/crm: refused'
    """
    return _URL_PASSWORD.sub(r"\1:***@", text)


def _number(value: float, decimals: int = SCORE_DECIMALS) -> float | None:
    # JSON has no NaN/Infinity; a non-finite number becomes null rather than an invalid file.
    return round(value, decimals) if math.isfinite(value) else None


def _evidence(evidence: Evidence) -> dict[str, str | int | float | None]:
    return {k: _number(v, 4) if isinstance(v, float) else v for k, v in evidence}


def grade_dict(grade: Grade | None) -> dict[str, Any] | None:
    """A grade as the contract shows it (tables, columns and documents share the shape)."""
    if grade is None:
        return None
    return {
        "scheme": grade.scheme,
        "level": grade.level,
        "rank": grade.rank,
        "citations": list(grade.citations),
        "rule": grade.rule,
    }


def _info_type(hit: InfoTypeHit) -> dict[str, Any]:
    return {
        "type": hit.type,
        "score": _number(hit.score),
        "hits": hit.hits,
        "checked": hit.checked,
        "detector": hit.detector,
        "evidence": _evidence(hit.evidence),
    }


def _column(col: ColumnProfile) -> dict[str, Any]:
    return {
        "name": col.name,
        "dtype": col.dtype,
        "non_empty": col.non_empty,
        "info_types": [_info_type(h) for h in col.info_types],
        "category": col.category,
        "sensitive": col.sensitive,
        "role": col.role,
        "grade": grade_dict(col.grade),
        "samples": list(col.samples),
    }


def _individuals(ind: Individuals | None) -> dict[str, Any] | None:
    if ind is None:
        return None
    # The sketch bytes stay out: they are for the catalogue, not for people reading a report.
    return {
        "estimate": ind.estimate,
        "key": ind.key,
        "column": ind.column,
        "minors_under_14": ind.minors_under_14,
    }


def table_dict(table: TableProfile) -> dict[str, Any]:
    """A table as the contract shows it (also ``fenji catalogue show --format json``)."""
    return {
        "name": table.name,
        "rows": table.rows,
        "rows_exact": table.rows_exact,
        "rows_sampled": table.rows_sampled,
        "individuals": _individuals(table.individuals),
        "grade": grade_dict(table.grade),
        "warnings": [redact_text(w) for w in table.warnings],
        "columns": [_column(c) for c in table.columns],
    }


def _finding(f: TextFinding) -> dict[str, Any]:
    return {
        "type": f.type,
        "start": f.start,
        "end": f.end,
        "score": _number(f.score),
        "masked": f.masked,
        "detector": f.detector,
    }


def _document(doc: DocumentProfile) -> dict[str, Any]:
    return {
        "name": doc.name,
        "chars": doc.chars,
        "findings": [_finding(f) for f in doc.findings],
        "grade": grade_dict(doc.grade),
    }


def _source(src: SourceProfile) -> dict[str, Any]:
    return {
        "uri": redact_uri(src.uri),
        "kind": src.kind,
        "encoding": src.encoding,
        "errors": [redact_text(e) for e in src.errors],
        "tables": [table_dict(t) for t in src.tables],
        "documents": [_document(d) for d in src.documents],
    }


def is_pi_column(col: ColumnProfile) -> bool:
    """A column holds PI when fenji asserts an info type for it (or flags it sensitive)."""
    return bool(col.info_types) or col.sensitive


def iter_columns(result: ScanResult) -> Iterator[tuple[SourceProfile, TableProfile, ColumnProfile]]:
    """Every column of every table, with its source and table."""
    for src in result.sources:
        for table in src.tables:
            for col in table.columns:
                yield src, table, col


def highest_grade(result: ScanResult) -> Grade | None:
    """The strictest grade anywhere in the scan (tables, columns, documents); None if ungraded."""
    grades: list[Grade] = []
    for src in result.sources:
        for table in src.tables:
            grades += [g for g in (table.grade, *(c.grade for c in table.columns)) if g]
        grades += [d.grade for d in src.documents if d.grade]
    return max(grades, key=lambda g: g.rank, default=None)


def summarize(result: ScanResult) -> dict[str, Any]:
    """Counts for the report summary (contract keys first, additive keys after)."""
    cols = [c for _, _, c in iter_columns(result)]
    estimates = [t.individuals.estimate for s in result.sources for t in s.tables if t.individuals]
    top = highest_grade(result)
    docs = [d for s in result.sources for d in s.documents]
    return {
        "tables": sum(len(s.tables) for s in result.sources),
        "columns": len(cols),
        "pi_columns": sum(is_pi_column(c) for c in cols),
        "sensitive_columns": sum(c.sensitive for c in cols),
        "sources": len(result.sources),
        "documents": len(docs),
        "document_findings": sum(len(d.findings) for d in docs),
        "individuals_max": max(estimates, default=None),
        "highest_grade": grade_dict(top),
        "errors": sum(len(s.errors) for s in result.sources),
        "warnings": sum(len(t.warnings) for s in result.sources for t in s.tables),
    }


def to_contract(result: ScanResult) -> dict[str, Any]:
    """The scan as the stable JSON contract: a plain dict ready for ``json.dumps``."""
    return {
        "tool": {"name": "fenji", "version": fenji.__version__},
        "pack": result.pack,
        "catalogue_version": result.catalogue_version,
        "started_at": result.started_at.isoformat(),
        "finished_at": result.finished_at.isoformat(),
        "sample": result.sample,
        "complete": result.complete,
        "sources": [_source(s) for s in result.sources],
        "summary": summarize(result),
    }


def contract_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of :func:`to_contract`'s output."""
    text = resources.files("fenji").joinpath("schemas/report.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def dumps(doc: Any) -> str:
    """JSON text as fenji writes it: UTF-8 (Chinese kept readable), indented, no NaN."""
    return json.dumps(doc, ensure_ascii=False, indent=2, allow_nan=False) + "\n"


def atomic_write(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` through a temp file in the same directory and ``os.replace``.

    An interrupted or failed write leaves the old file untouched and no temp file behind.
    Raises :class:`InputError` naming the path when the file cannot be written.
    """
    target = Path(path)
    # 'replace' keeps the file valid UTF-8 even when a name carries an undecodable byte
    # (surrogate-escaped by the OS layer); a report must never fail on that.
    data = text.encode("utf-8", errors="replace")
    tmp_name: str | None = None
    try:
        # Same directory as the target, so os.replace is an atomic rename on one filesystem.
        fd, tmp_name = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
        )
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp makes the file 0600: a new report is private to its owner by default;
        # replacing an existing report keeps the permissions someone chose for it.
        if target.is_file():
            os.chmod(tmp_name, target.stat().st_mode & 0o7777)
        os.replace(tmp_name, target)
        tmp_name = None
    except OSError as exc:
        raise InputError(f"cannot write report to {target}: {exc.strerror or exc}") from exc
    finally:
        if tmp_name is not None:
            Path(tmp_name).unlink(missing_ok=True)


def emit_text(text: str, path: str | os.PathLike[str] | None) -> None:
    """Write a rendered report to ``path`` atomically, or to stdout when ``path`` is None."""
    if path is None:
        encoding = (getattr(sys.stdout, "encoding", None) or "utf-8").lower().replace("-", "")
        buffer = getattr(sys.stdout, "buffer", None)
        if encoding != "utf8" and buffer is not None:
            # A GBK/ASCII console would raise on some characters; reports are UTF-8 everywhere.
            sys.stdout.flush()
            buffer.write(text.encode("utf-8", errors="replace"))
            buffer.flush()
        else:
            sys.stdout.write(text)
            sys.stdout.flush()
    else:
        atomic_write(path, text)


def write_json(result: ScanResult, path: str | os.PathLike[str] | None = None) -> None:
    """Write the JSON contract to ``path`` (atomically) or stdout. Rendered fully before writing."""
    emit_text(dumps(to_contract(result)), path)
