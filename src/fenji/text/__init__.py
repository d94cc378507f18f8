"""Personal information in prose: find spans in text and documents, grade them, redact them.

``find_spans(text)`` gives the spans of one text; ``scan_document(path)`` and
``scan_documents(paths)`` read documents (.txt .md .log .html .docx .pdf .eml) into
``DocumentProfile``s; ``redact_text`` and ``redact_file`` replace what was found. See docs/text.md.
"""

from typing import TYPE_CHECKING, Any

from fenji.text.documents import (
    DOCUMENT_SUFFIXES,
    document_source,
    is_document,
    scan_document,
    scan_documents,
)
from fenji.text.find import find_spans

if TYPE_CHECKING:
    from fenji.text.redact import RedactMode, redact_file, redact_text

_REDACT = {"RedactMode", "redact_file", "redact_text"}


def __getattr__(name: str) -> Any:
    # Redaction needs fenji.deid (pseudonyms, profiles): loaded on first use, so that a table
    # scan, which imports this package for its document suffixes, does not pay for it.
    if name in _REDACT:
        from fenji.text import redact

        return getattr(redact, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "DOCUMENT_SUFFIXES",
    "RedactMode",
    "document_source",
    "find_spans",
    "is_document",
    "redact_file",
    "redact_text",
    "scan_document",
    "scan_documents",
]
