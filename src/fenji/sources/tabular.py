"""Shared machinery for file tables that Polars can scan lazily (CSV, TSV, JSON, Parquet).

A subclass only says how to build its ``LazyFrame``; counting, sampling and batching are done here
once, streaming, so that no reader holds a whole large file in memory.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import polars as pl

from fenji.errors import SourceError
from fenji.sources.base import Source, TableReader, sample_positions, take_positions


@contextmanager
def polars_errors(where: str, problem: str = "") -> Iterator[None]:
    """Turn a Polars/Arrow failure into a one-line ``SourceError`` naming ``where``.

    Polars messages can quote cell contents, so only the error class and a fixed hint go out
    (``problem`` names the likely cause, e.g. "malformed JSON").
    """
    try:
        yield
    except SourceError:
        raise
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        text = str(exc).lower()
        if "invalid utf-8" in text or "invalid utf8" in text:
            hint = "undecodable encoding: invalid UTF-8 bytes after the first 64 KB"
        elif isinstance(exc, OSError) and exc.strerror:
            hint = exc.strerror
        else:
            hint = f"{problem}: {type(exc).__name__}" if problem else type(exc).__name__
        raise SourceError(f"{where}: cannot read ({hint})") from exc


class LazyTable(TableReader):
    """A table read through a Polars ``LazyFrame`` built afresh for each pass."""

    def __init__(self, name: str, uri: str) -> None:
        super().__init__(name)
        self.uri = uri
        self._count: int | None = None
        self._schema: pl.Schema | None = None

    @abstractmethod
    def _scan(self) -> pl.LazyFrame:
        """A fresh lazy scan of the file, every column as the reader wants it typed."""

    def _finish(self, df: pl.DataFrame, first_row: int) -> pl.DataFrame:
        """Check and tidy a collected frame (``first_row`` = its offset in the table)."""
        return self._guard(df)

    def _validate(self) -> int:
        """Count rows in one streaming pass (subclasses also check well-formedness here)."""
        with polars_errors(self.uri):
            return int(self._scan().select(pl.len()).collect().item())

    def _lazy_schema(self) -> pl.Schema:
        if self._schema is None:
            with polars_errors(self.uri):
                self._schema = self._scan().collect_schema()
        return self._schema

    def columns(self) -> list[str]:
        """Column names in file order (binary columns excluded)."""
        return [c for c in self._lazy_schema().names() if not c.startswith("\x00")]

    def row_count(self) -> tuple[int | None, bool]:
        """Exact row count of the file, from one cheap lazy pass (cached)."""
        if self._count is None:
            self._count = self._validate()
        return self._count, True

    def sample(self, n: int | None, seed: int) -> pl.DataFrame:
        """Uniform sample of ``n`` rows by position (numpy with ``seed``), in file order."""
        count, _ = self.row_count()
        lf = self._scan()
        if n is not None and count is not None and n < count:
            lf = take_positions(lf, sample_positions(count, n, seed))
        with polars_errors(self.uri):
            df = lf.collect(engine="streaming")
        return self._finish(df, 0)

    def iter_batches(
        self, columns: Sequence[str], batch_rows: int = 100_000
    ) -> Iterator[pl.DataFrame]:
        """Stream the named columns in batches of about ``batch_rows`` rows."""
        wanted = self._check_columns(columns)
        self.streamed_row_count()  # a file that cannot be read fails before the first batch
        hidden = [c for c in self._lazy_schema().names() if c.startswith("\x00")]
        lf = self._scan().select(wanted + hidden)
        offset = 0
        with polars_errors(self.uri):
            # lazy=True: nothing runs until the first batch is asked for.
            for batch in lf.collect_batches(chunk_size=batch_rows, lazy=True):
                yield self._finish(batch, offset)
                offset += batch.height


class FileSource(Source):
    """A file holding tables; ``make_tables`` builds them when ``tables()`` is called."""

    def __init__(
        self,
        path: Path,
        kind: str,
        make_tables: Callable[[], Iterator[TableReader | SourceError]],
        encoding: str | None = None,
    ) -> None:
        self.path = path
        self.uri = str(path)
        self.kind = kind
        self.encoding = encoding
        self._make_tables = make_tables

    def tables(self) -> Iterator[TableReader | SourceError]:
        """One table per file (one per sheet for Excel); errors are yielded, not raised."""
        try:
            yield from self._make_tables()
        except SourceError as exc:
            yield exc


def drop_binary(reader: TableReader, schema: pl.Schema) -> list[str]:
    """Names of the non-binary columns, noting each binary column skipped on ``reader``."""
    keep = []
    for name, dtype in schema.items():
        if dtype == pl.Binary:
            reader._warn(f"column {name!r}: binary column skipped")
        else:
            keep.append(name)
    return keep
