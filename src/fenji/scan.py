"""Scan orchestration: sources -> sample -> detect -> grade -> individuals -> ScanResult.

Each stage is a plain function from another module; this one only wires them together and
reports progress. It never stores or returns raw values: samples are masked by ``fenji.detect``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial

import polars as pl

from fenji.detect.column import classify_frame
from fenji.detect.mask import pick_samples
from fenji.detect.normalize import normalize
from fenji.detect.recognizer import RecognizerSet, load_recognizers
from fenji.detect.validators import birth_dates
from fenji.errors import FenjiError, SourceError
from fenji.grade import grade_table
from fenji.individuals import choose_key, estimate_individuals, hmac_key
from fenji.model import (
    ColumnProfile,
    Individuals,
    InfoTypeHit,
    ScanResult,
    SourceProfile,
    TableProfile,
)
from fenji.packs import Pack, load_pack
from fenji.sources import DocumentFile, Source, TableReader, open_sources
from fenji.stream import stream_columns
from fenji.stream_profiles import graded_profile

# Hooks the CLI uses for progress bars: (source uri, table name) before and after each table.
TableHook = Callable[[str, str], None]


@dataclass(frozen=True)
class ScanOptions:
    """How to scan: pack, sampling, filters. Defaults are the CLI's defaults."""

    pack: str = "general"
    catalogue_version: str | None = None
    sample: int | None = 1000  # rows per table; None = every row
    seed: int = 0
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    tables: str | None = None
    individuals: bool = True  # full-column pass over the key identifier
    batch_rows: int = 100_000


def _noop(_source: str, _table: str) -> None:
    return None


def scan(
    targets: Sequence[str],
    options: ScanOptions | None = None,
    *,
    key: bytes | None = None,
    on_table_start: TableHook = _noop,
    on_table_done: TableHook = _noop,
    today: date | None = None,
) -> ScanResult:
    """Scan files, directories and database URLs and return what was found.

    Errors in one source or table are recorded in that source's ``errors`` and the scan goes on.
    """
    opts = options or ScanOptions()
    pack = load_pack(opts.pack, opts.catalogue_version)
    recognizers = load_recognizers(pack.recognizers_path)
    secret = key if key is not None else (hmac_key() if opts.individuals else b"")
    started = datetime.now(UTC)
    sources: list[SourceProfile] = []
    for src in open_sources(targets, opts.include, opts.exclude, opts.tables, documents=True):
        if isinstance(src, SourceError):
            sources.append(SourceProfile(uri=_uri_of(src), kind="error", errors=(str(src),)))
            continue
        if isinstance(src, DocumentFile):
            from fenji.text.documents import document_source  # jieba loads only when needed

            on_table_start(str(src.path), src.path.name)
            sources.append(document_source(src.path, recognizers, pack))
            on_table_done(str(src.path), src.path.name)
            continue
        with src:
            sources.append(
                _scan_source(
                    src, opts, pack, recognizers, secret, on_table_start, on_table_done, today
                )
            )
    return ScanResult(
        sources=tuple(sources),
        pack=pack.name,
        catalogue_version=pack.catalogue_version,
        started_at=started,
        finished_at=datetime.now(UTC),
        sample=opts.sample,
    )


def _uri_of(err: SourceError) -> str:
    return str(getattr(err, "source", "") or str(err).split(":", 1)[0])


def _scan_source(
    src: Source,
    opts: ScanOptions,
    pack: Pack,
    recognizers: RecognizerSet,
    key: bytes,
    on_start: TableHook,
    on_done: TableHook,
    today: date | None,
) -> SourceProfile:
    tables: list[TableProfile] = []
    errors: list[str] = []
    try:
        for reader in src.tables():
            if isinstance(reader, SourceError):
                errors.append(str(reader))
                continue
            on_start(src.uri, reader.name)
            try:
                tables.append(profile_table(reader, opts, pack, recognizers, key, today))
            except FenjiError as exc:
                errors.append(str(exc))
            finally:
                on_done(src.uri, reader.name)
    except FenjiError as exc:
        errors.append(str(exc))
    return SourceProfile(
        uri=src.uri,
        kind=src.kind,
        tables=tuple(tables),
        encoding=src.encoding,
        errors=tuple(errors),
    )


def profile_table(
    reader: TableReader,
    opts: ScanOptions,
    pack: Pack,
    recognizers: RecognizerSet,
    key: bytes,
    today: date | None = None,
) -> TableProfile:
    """Sample, classify and grade one table, then count its individuals over the whole column.

    With ``opts.sample`` None every row is read in batches through the mergeable counts
    (``fenji.stream``), never holding the whole table, with the findings ``classify_frame``
    gives on the whole table in memory.
    """
    rows, exact = reader.streamed_row_count() if opts.sample is None else reader.row_count()
    warnings: list[str] = []
    if opts.sample is None:
        sampled, columns = stream_columns(
            reader, rows if exact else None, pack, recognizers, opts.batch_rows
        )
    else:
        df = reader.sample(opts.sample, opts.seed)
        hits = classify_frame(df, recognizers)
        with ThreadPoolExecutor(max_workers=max(1, pl.thread_pool_size())) as pool:
            columns = tuple(
                pool.map(
                    lambda name: _profile_column(df, name, hits.get(name, ()), pack, recognizers),
                    df.columns,
                )
            )
        sampled = df.height
    individuals: Individuals | None = None
    if opts.individuals:
        individuals = _individuals(
            reader, columns, recognizers, key, opts.batch_rows, today, warnings
        )
    warnings = [*reader.warnings, *warnings]
    return TableProfile(
        name=reader.name,
        rows=rows,
        rows_exact=exact,
        rows_sampled=sampled,
        columns=columns,
        individuals=individuals,
        grade=grade_table(columns, individuals, pack),
        warnings=tuple(warnings),
    )


def _profile_column(
    df: pl.DataFrame,
    name: str,
    hits: Sequence[InfoTypeHit],
    pack: Pack,
    recognizers: RecognizerSet,
) -> ColumnProfile:
    series = df.get_column(name)
    as_text = series.cast(pl.Utf8, strict=False)
    non_empty = int(as_text.str.strip_chars().str.len_chars().gt(0).sum() or 0)
    samples = pick_samples(as_text, hits[0].type, rs=recognizers) if hits else ()
    return graded_profile(name, str(series.dtype), non_empty, hits, samples, pack)


def _individuals(
    reader: TableReader,
    columns: Sequence[ColumnProfile],
    recognizers: RecognizerSet,
    key: bytes,
    batch_rows: int,
    today: date | None,
    warnings: list[str],
) -> Individuals | None:
    chosen = choose_key(columns)
    if chosen is None:
        return None
    column, info_type = chosen
    try:
        return estimate_individuals(
            reader.iter_batches([column], batch_rows),
            column,
            info_type,
            key,
            normalise=partial(normalize, info_type=info_type, rs=recognizers),
            birth_dates=birth_dates if info_type == "CN_RESIDENT_ID" else None,
            today=today,
        )
    except FenjiError as exc:
        warnings.append(f"individuals not counted: {exc}")
        return None
