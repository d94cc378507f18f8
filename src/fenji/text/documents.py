"""Scan prose documents: text, logs, HTML, Word, PDF and e-mail, into ``DocumentProfile``s.

Each document is read in pieces (``fenji.text.readers``), searched window by window
(``fenji.text.chunks``), and reported with character offsets into its decoded text and masked
values only. Its grade comes from the pack as if each info type found were a column of a table,
so combination and sensitivity rules apply to documents too.

>>> is_document("notes/客服记录.LOG"), is_document("people.csv")
(True, False)
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache, partial
from pathlib import Path

import polars as pl

from fenji.detect.mask import mask_series
from fenji.detect.recognizer import RecognizerSet, load_recognizers
from fenji.errors import FenjiError, SourceError
from fenji.grade import grade_classes, grade_table
from fenji.model import (
    ColumnProfile,
    DocumentProfile,
    Grade,
    InfoTypeHit,
    SourceProfile,
    TextFinding,
)
from fenji.packs import Pack, load_pack
from fenji.text.chunks import CHUNK_CHARS, chunked_spans
from fenji.text.context import CONTEXT_FILE, TextContext, load_context
from fenji.text.find import find_spans
from fenji.text.readers import DOCUMENT_KINDS, open_text

DOCUMENT_SUFFIXES = frozenset(DOCUMENT_KINDS)


def is_document(path: str | os.PathLike[str]) -> bool:
    """True for the files ``fenji scan`` reads as prose (by suffix, case-insensitive)."""
    return Path(path).suffix.lower() in DOCUMENT_SUFFIXES


def context_for(pack: Pack, rs: RecognizerSet) -> TextContext:
    """The pack's ``text_context.yaml`` beside its recognizers, else the general pack's."""
    own = pack.recognizers_path.parent / "text_context.yaml"
    return _context(own if own.is_file() else CONTEXT_FILE, rs)


@lru_cache(maxsize=8)
def _context(path: Path, rs: RecognizerSet) -> TextContext:
    return load_context(path, rs)


def findings(spans: pl.DataFrame, rs: RecognizerSet | None = None) -> tuple[TextFinding, ...]:
    """Spans as ``TextFinding``s, masked per info type in bulk, sorted by start."""
    if spans.height == 0:
        return ()
    masked = pl.concat(
        [
            part.with_columns(
                mask_series(part["value"], str(part["type"][0]), rs).fill_null("*").alias("masked")
            )
            for part in spans.partition_by("type", maintain_order=True)
        ]
    ).sort("start")
    return tuple(
        TextFinding(type=t, start=s, end=e, score=round(sc, 4), masked=m, detector=d)
        for t, s, e, sc, m, d in masked.select(
            "type", "start", "end", "score", "masked", "detector"
        ).iter_rows()
    )


def grade_document(found: Sequence[TextFinding], pack: Pack) -> Grade:
    """A document's grade: each info type found is graded like a column holding it, then the
    pack's table rules (combinations, sensitive PI) apply; no findings gives the default."""
    by_type: dict[str, list[TextFinding]] = {}
    for f in found:
        if f.type in pack.info_types:
            by_type.setdefault(f.type, []).append(f)
    columns = []
    for info_type, hits in by_type.items():
        cg = grade_classes([info_type], (), pack, info_type)
        hit = InfoTypeHit(
            type=info_type,
            score=max(h.score for h in hits),
            hits=len(hits),
            checked=len(hits),
            detector=hits[0].detector,
        )
        columns.append(
            ColumnProfile(
                name=info_type, dtype="text", non_empty=len(hits), info_types=(hit,),
                category=cg.category, sensitive=cg.sensitive, role=cg.role, grade=cg.grade,
            )
        )  # fmt: skip
    return grade_table(columns, None, pack)


def profile_text(
    pieces: Iterable[str],
    name: str,
    rs: RecognizerSet,
    pack: Pack,
    ctx: TextContext,
    *,
    names: bool = True,
    chunk_chars: int = CHUNK_CHARS,
) -> DocumentProfile:
    """Find, mask and grade the PI in a text given in pieces."""
    find = partial(find_spans, rs=rs, ctx=ctx, names=names)
    chars = 0
    parts = []
    for chunk in chunked_spans(pieces, find, size=chunk_chars):
        chars += len(chunk.text)
        if chunk.spans.height:
            parts.append(chunk.spans)
    spans = pl.concat(parts) if parts else pl.DataFrame()
    found = findings(spans, rs)
    grade = grade_document(found, pack)
    return DocumentProfile(name=name, chars=chars, findings=found, grade=grade)


def _setup(
    recognizers: RecognizerSet | None, pack: Pack | str | None
) -> tuple[RecognizerSet, Pack, TextContext]:
    p = pack if isinstance(pack, Pack) else load_pack(pack or "general")
    rs = recognizers or load_recognizers(p.recognizers_path)
    return rs, p, context_for(p, rs)


def scan_document(
    path: str | os.PathLike[str],
    recognizers: RecognizerSet | None = None,
    pack: Pack | str | None = None,
    *,
    names: bool = True,
) -> DocumentProfile:
    """Scan one document; ``SourceError`` (naming the file) when it cannot be read."""
    rs, p, ctx = _setup(recognizers, pack)
    src = open_text(Path(path))
    return profile_text(src.pieces(), src.path.name, rs, p, ctx, names=names)


def document_source(
    path: str | os.PathLike[str],
    recognizers: RecognizerSet | None = None,
    pack: Pack | str | None = None,
    *,
    names: bool = True,
) -> SourceProfile:
    """Scan one document into a ``SourceProfile`` (what ``fenji scan`` reports per file).

    Never raises for a bad file: a corrupt or unreadable document becomes an error of its
    source (the CLI exits 2 and the other files are still scanned), and so does a PDF page
    without a text layer (it was not searched).
    """
    rs, p, ctx = _setup(recognizers, pack)
    path = Path(path)
    kind = DOCUMENT_KINDS.get(path.suffix.lower(), "text")
    try:
        src = open_text(path)
        doc = profile_text(src.pieces(), path.name, rs, p, ctx, names=names)
    except FenjiError as exc:
        return SourceProfile(uri=str(path), kind=kind, errors=(str(exc),))
    return SourceProfile(
        uri=str(path), kind=kind, documents=(doc,), encoding=src.encoding,
        errors=tuple(src.notes),
    )  # fmt: skip


def _walk(root: Path) -> Iterator[Path]:
    """Documents under ``root`` in sorted order; hidden files and directories skipped."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith(".") and is_document(name):
                yield Path(dirpath) / name


def scan_documents(
    paths: Iterable[str | os.PathLike[str]],
    recognizers: RecognizerSet | None = None,
    pack: Pack | str | None = None,
    *,
    names: bool = True,
) -> tuple[SourceProfile, ...]:
    """Scan documents and directories of documents (recursively, sorted, hidden ones skipped):
    one ``SourceProfile`` per file, errors recorded and the scan going on."""
    rs, p, _ = _setup(recognizers, pack)
    out = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            out += [document_source(f, rs, p, names=names) for f in _walk(path)]
        elif not path.exists():
            out.append(SourceProfile(uri=str(path), kind="error",
                                     errors=(f"{path}: no such file or directory",)))  # fmt: skip
        elif not is_document(path):
            msg = SourceError(
                f"{path}: not a document ({path.suffix or 'no suffix'}); "
                f"supported: {', '.join(sorted(DOCUMENT_SUFFIXES))}"
            )
            out.append(SourceProfile(uri=str(path), kind="error", errors=(str(msg),)))
        else:
            out.append(document_source(path, rs, p, names=names))
    return tuple(out)
