"""SARIF 2.1.0 output for code-scanning dashboards: one result per asserted info type per column
(and per finding in a document), error for sensitive PI, warning for other PI.

Files are located by path (relative to the working directory when under it), databases by their
URI (no password) plus a logical location ``table.column``. Messages carry masked samples only.
"""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

import fenji
from fenji.infotypes import INFO_TYPES
from fenji.model import ColumnProfile, DocumentProfile, ScanResult, SourceProfile, TableProfile
from fenji.report.contract import dumps, emit_text, redact_text, redact_uri

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
INFORMATION_URI = "https://pypi.org/project/fenji/"
MAX_DOCUMENT_RESULTS = 1000  # per document; the JSON report keeps every finding
MAX_SAMPLES_IN_MESSAGE = 3


def _is_database(src: SourceProfile) -> bool:
    return "://" in src.uri and not src.uri.startswith("file:")


def artifact_uri(src: SourceProfile, base: Path) -> str:
    """URI of a source for SARIF: DB URI as is (no password), files relative to ``base`` if
    possible, percent-encoded (SARIF needs a valid URI reference; CJK names are encoded)."""
    if _is_database(src) or src.uri.startswith("file:"):
        return redact_uri(src.uri)
    path = Path(src.uri)
    if not path.is_absolute():
        return quote(PurePosixPath(*path.parts).as_posix())
    try:
        return quote(path.relative_to(base).as_posix())
    except ValueError:
        return path.as_uri()


def _fingerprint(*parts: str) -> str:
    # Names only (never values): lets dashboards track one column's alert across runs.
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "replace")).hexdigest()[:32]


def _grade_text(col: ColumnProfile) -> str:
    if col.grade is None:
        return "ungraded"
    cites = f" [{'; '.join(col.grade.citations)}]" if col.grade.citations else ""
    return f"grade {col.grade.level}{cites}"


def _column_results(
    src: SourceProfile, table: TableProfile, col: ColumnProfile, uri: str, rules: dict[str, int]
) -> list[dict[str, Any]]:
    out = []
    fqn = f"{table.name}.{col.name}"
    logical = [{"name": col.name, "fullyQualifiedName": fqn, "kind": "member"}]
    samples = ", ".join(col.samples[:MAX_SAMPLES_IN_MESSAGE]) or "none"
    for hit in col.info_types:
        sensitivity = "sensitive PI" if col.sensitive else "PI"
        text = (
            f"{table.name}.{col.name}: {hit.type} (score {hit.score:.2f}, "
            f"{hit.hits}/{hit.checked} values), {sensitivity}, category {col.category or '-'}, "
            f"{_grade_text(col)}. Masked samples: {samples}."
        )
        out.append({
            "ruleId": hit.type,
            "ruleIndex": rules.setdefault(hit.type, len(rules)),
            "level": "error" if col.sensitive else "warning",
            "message": {"text": text},
            "locations": [{
                "physicalLocation": {"artifactLocation": {"uri": uri}},
                "logicalLocations": logical,
            }],
            "partialFingerprints": {
                "fenjiColumn/v1": _fingerprint(redact_uri(src.uri), table.name, col.name, hit.type)
            },
            "properties": {
                "score": round(hit.score, 3),
                "hits": hit.hits,
                "checked": hit.checked,
                "detector": hit.detector,
                "category": col.category,
                "sensitive": col.sensitive,
                "grade": col.grade.level if col.grade else None,
            },
        })
    return out


def _document_results(
    src: SourceProfile, doc: DocumentProfile, uri: str, rules: dict[str, int]
) -> list[dict[str, Any]]:
    out = []
    for f in doc.findings[:MAX_DOCUMENT_RESULTS]:
        out.append({
            "ruleId": f.type,
            "ruleIndex": rules.setdefault(f.type, len(rules)),
            "level": "warning",
            "message": {"text": f"{doc.name}: {f.type} (score {f.score:.2f}) {f.masked}"},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": uri},
                    "region": {"charOffset": f.start, "charLength": max(f.end - f.start, 0)},
                },
                "logicalLocations": [{"name": doc.name, "kind": "resource"}],
            }],
            "partialFingerprints": {
                "fenjiFinding/v1": _fingerprint(redact_uri(src.uri), doc.name, f.type, str(f.start))
            },
        })
    return out


def _rule(type_id: str) -> dict[str, Any]:
    known = INFO_TYPES.get(type_id)
    # Packs may add ids beyond the stable list; those get a readable form of the id.
    name = f"{known.en} ({known.zh})" if known else type_id.replace("_", " ").lower()
    return {
        "id": type_id,
        "name": "".join(w.capitalize() for w in type_id.split("_")),
        "shortDescription": {"text": f"Personal information: {name}"},
        "help": {
            "text": (
                f"fenji found values of type {type_id} ({name}). Check that collecting and keeping "
                "them is necessary (PIPL Art. 6, 19); protect them by grade (DSL Art. 21, "
                "PIPL Art. 51): encrypt, de-identify, restrict access, or remove them. Sensitive "
                "PI (PIPL Art. 28) needs separate consent and an impact assessment (Art. 29, 55)."
            )
        },
        "defaultConfiguration": {"level": "warning"},
        "properties": {"tags": ["privacy", "personal-information"]},
    }


def _utc(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _notifications(result: ScanResult) -> list[dict[str, Any]]:
    notes: list[dict[str, Any]] = []
    for src in result.sources:
        uri = redact_uri(src.uri)
        errors = [redact_text(e) for e in src.errors]
        notes += [{"level": "error", "message": {"text": e if uri in e else f"{uri}: {e}"}}
                  for e in errors]
        for t in src.tables:
            notes += [{"level": "warning", "message": {"text": f"{uri} {t.name}: {redact_text(w)}"}}
                      for w in t.warnings]
        for d in src.documents:
            if len(d.findings) > MAX_DOCUMENT_RESULTS:
                extra = len(d.findings) - MAX_DOCUMENT_RESULTS
                text = f"{uri} {d.name}: {extra} more findings omitted; see the JSON report"
                notes.append({"level": "note", "message": {"text": text}})
    return notes


def to_sarif(result: ScanResult, base: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The scan as a SARIF 2.1.0 log (a dict). File paths are made relative to ``base``
    (default: the current directory) when they lie under it."""
    root = Path(base) if base is not None else Path.cwd()
    rules: dict[str, int] = {}
    results: list[dict[str, Any]] = []
    for src in result.sources:
        uri = artifact_uri(src, root)
        for table in src.tables:
            for col in table.columns:
                results += _column_results(src, table, col, uri, rules)
        for doc in src.documents:
            results += _document_results(src, doc, uri, rules)
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": {"driver": {
                "name": "fenji",
                "version": fenji.__version__,
                "informationUri": INFORMATION_URI,
                "rules": [_rule(t) for t in sorted(rules, key=rules.__getitem__)],
            }},
            "invocations": [{
                "executionSuccessful": result.complete,
                "startTimeUtc": _utc(result.started_at),
                "endTimeUtc": _utc(result.finished_at),
                "toolExecutionNotifications": _notifications(result),
            }],
            "columnKind": "unicodeCodePoints",  # document offsets are Python str indices
            "properties": {"pack": result.pack, "catalogueVersion": result.catalogue_version},
            "results": results,
        }],
    }


def write_sarif(
    result: ScanResult,
    path: str | os.PathLike[str] | None = None,
    base: str | os.PathLike[str] | None = None,
) -> None:
    """Write the SARIF log to ``path`` atomically (stdout when None)."""
    emit_text(dumps(to_sarif(result, base)), path)
