"""Turn what the user named (files, directories, database URLs) into sources.

Problems become ``SourceError`` values in the stream, not exceptions, so one bad file never stops
a scan of the others.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Literal, overload

from fenji.errors import SourceError, choices
from fenji.sources.base import DocumentFile, Source, TableReader
from fenji.sources.dburl import is_sqlite_file, looks_like_url
from fenji.sources.delimited import CsvTable, sniff_delimiter
from fenji.sources.encoding import Utf8Copy, detect_encoding, read_head
from fenji.sources.excel import excel_tables, sheet_names
from fenji.sources.files import JsonLinesTable, JsonTable, ParquetTable
from fenji.sources.sql import DatabaseSource
from fenji.sources.tabular import FileSource

# File extension (lower case) -> source kind.
FILE_KINDS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".db": "sqlite",
    ".sqlite": "sqlite",
    ".sqlite3": "sqlite",
}


@overload
def open_sources(
    targets: Sequence[str],
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    tables: str | None = None,
    documents: Literal[False] = False,
) -> Iterator[Source | SourceError]: ...


@overload
def open_sources(
    targets: Sequence[str],
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    tables: str | None = None,
    *,
    documents: bool,
) -> Iterator[Source | SourceError | DocumentFile]: ...


def open_sources(
    targets: Sequence[str],
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    tables: str | None = None,
    documents: bool = False,
) -> Iterator[Source | SourceError | DocumentFile]:
    """Yield a ``Source`` (or a ``SourceError``) for each file, directory member or database.

    With ``documents``, prose files (``fenji.text.DOCUMENT_SUFFIXES``) come as ``DocumentFile``
    markers for the text scanner; without it they are unsupported like any other type.

    ``include``/``exclude`` are glob lists applied to files found under a directory target (a
    pattern without ``/`` also matches the bare file name); ``tables`` is a glob narrowing the
    tables of databases (matched against ``table`` and ``schema.table``).
    """
    if isinstance(targets, str):
        targets = [targets]  # one target passed bare, not a string to iterate letter by letter
    for item in targets:
        target = str(item)  # a pathlib.Path is welcome too
        if looks_like_url(target):
            try:
                yield DatabaseSource.open(target, tables)
            except SourceError as exc:
                yield exc
            continue
        path = Path(target)
        if path.is_dir():
            yield from _walk(path, include, exclude, tables, documents)
        elif path.exists():
            found = open_file(path, named=True, tables=tables, documents=documents)
            if found is not None:
                yield found
        else:
            yield SourceError(f"{target}: no such file or directory")


def open_file(
    path: Path, named: bool = True, tables: str | None = None, documents: bool = False
) -> Source | SourceError | DocumentFile | None:
    """Open one file as a source; None for a file a directory scan should pass over silently.

    ``named`` says the user named the file directly: then an unsupported type is an error.
    """
    if documents:
        from fenji.text.documents import DOCUMENT_SUFFIXES  # lazy: fenji.text imports sources

        if path.suffix.lower() in DOCUMENT_SUFFIXES:
            return DocumentFile(path)
    kind = FILE_KINDS.get(path.suffix.lower())
    if kind is None:
        if not named:
            return None
        exts = choices(FILE_KINDS)
        return SourceError(f"{path}: unsupported file type {path.suffix!r}; supported: {exts}")
    try:
        return _open(path, kind, named, tables)
    except SourceError as exc:
        return exc


def _open(path: Path, kind: str, named: bool, tables: str | None) -> Source | None:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SourceError(f"{path}: cannot read: {exc.strerror or type(exc).__name__}") from exc
    if size == 0:
        raise SourceError(f"{path}: empty file")
    if kind == "sqlite":
        if not is_sqlite_file(path):
            if named:
                raise SourceError(f"{path}: not a SQLite database (no SQLite header)")
            return None  # e.g. some other program's .db file in a scanned directory
        return DatabaseSource.open_file(path, tables)
    if kind == "parquet":
        parquet = ParquetTable(path.stem, path)  # reads the footer now: corrupt files fail here
        return FileSource(path, kind, lambda: iter([parquet]))
    if kind == "xlsx":
        read_head(path, 1)  # a readable file, else a plain "cannot read"
        sheets = sheet_names(path)
        return FileSource(path, kind, lambda: excel_tables(path, sheets))
    head = read_head(path)
    encoding = detect_encoding(path, head)
    text = Utf8Copy(path, encoding)
    table: TableReader
    if kind == "csv":
        table = CsvTable(path.stem, path, text, sniff_delimiter(head.decode(encoding, "replace")))
    elif kind == "tsv":
        table = CsvTable(path.stem, path, text, "\t")
    elif kind == "json":
        table = JsonTable(path.stem, path, text)
    else:
        table = JsonLinesTable(path.stem, path, text)
    return FileSource(path, kind, lambda: iter([table]), encoding)


def _matches(rel: str, patterns: Sequence[str]) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return any(fnmatchcase(rel, p) or ("/" not in p and fnmatchcase(name, p)) for p in patterns)


def _pruned(rel_dir: str, exclude: Sequence[str]) -> bool:
    """A directory is skipped whole when an exclude pattern names it, or ``it/**``."""
    return any(fnmatchcase(rel_dir, p) or fnmatchcase(rel_dir, p.removesuffix("/**"))
               for p in exclude)  # fmt: skip


def _walk(
    root: Path,
    include: Sequence[str],
    exclude: Sequence[str],
    tables: str | None,
    documents: bool = False,
) -> Iterator[Source | SourceError | DocumentFile]:
    """Supported files under ``root``, in sorted order; hidden files and directories skipped."""
    problems: list[OSError] = []
    for dirpath, dirnames, filenames in os.walk(root, onerror=problems.append):
        while problems:
            err = problems.pop(0)
            yield SourceError(f"{err.filename}: cannot read: {err.strerror or 'unreadable'}")
        rel_dir = Path(dirpath).relative_to(root).as_posix()
        prefix = "" if rel_dir == "." else rel_dir + "/"
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and not _pruned(prefix + d, exclude)
        )
        for name in sorted(filenames):
            rel = prefix + name
            if name.startswith(".") or (include and not _matches(rel, include)):
                continue
            if exclude and _matches(rel, exclude):
                continue
            found = open_file(Path(dirpath) / name, named=False, tables=tables,
                              documents=documents)
            if found is not None:
                yield found
    for err in problems:
        yield SourceError(f"{err.filename}: cannot read: {err.strerror or 'unreadable'}")
