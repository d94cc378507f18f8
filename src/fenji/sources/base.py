"""The two objects every reader provides: a ``Source`` (one file or database) and its tables.

Readers never write to what they read and never put cell contents into messages: errors name the
source, the table and the column, nothing else.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from fenji.errors import SourceError, choices

# Cells longer than this (in characters) are cut for detection: no identifier is that long, and one
# runaway cell (an embedded file, a log dump) must not blow up memory in every later stage.
MAX_CELL_CHARS = 1_000_000

_ROW_INDEX = "\x00fenji_row"


class TableReader(ABC):
    """One table: a file, an Excel sheet or a database table.

    ``warnings`` collects one-line notes about what was skipped or cut (never values).
    """

    name: str

    def __init__(self, name: str) -> None:
        self.name = name
        self._warnings: list[str] = []

    @property
    def warnings(self) -> tuple[str, ...]:
        """Notes about skipped columns or truncated cells, for ``TableProfile.warnings``."""
        return tuple(self._warnings)

    def _warn(self, note: str) -> None:
        if note not in self._warnings:
            self._warnings.append(note)

    @abstractmethod
    def columns(self) -> list[str]:
        """Column names in table order (binary columns already left out)."""

    @abstractmethod
    def row_count(self) -> tuple[int | None, bool]:
        """Return ``(rows, exact)``; ``exact`` is False when taken from database statistics."""

    def streamed_row_count(self) -> tuple[int | None, bool]:
        """``row_count`` for a scan that reads every row through ``iter_batches``, which checks
        each batch as it reads it: a reader may count more cheaply here."""
        return self.row_count()

    @abstractmethod
    def sample(self, n: int | None, seed: int) -> pl.DataFrame:
        """Up to ``n`` rows (all rows when ``n`` is None); the same rows for the same seed."""

    @abstractmethod
    def iter_batches(
        self, columns: Sequence[str], batch_rows: int = 100_000
    ) -> Iterator[pl.DataFrame]:
        """Stream ``columns`` over every row in frames of at most about ``batch_rows`` rows."""

    def bytes_per_row(self) -> float | None:
        """About how many bytes of data one row holds (None: not known without reading)."""
        return None

    def _check_columns(self, columns: Sequence[str]) -> list[str]:
        known = self.columns()
        missing = [c for c in columns if c not in known]
        if missing:
            raise SourceError(
                f"{self.name}: no column {missing[0]!r}; columns are: {choices(known)}"
            )
        return list(columns)

    def _guard(self, df: pl.DataFrame) -> pl.DataFrame:
        """Cut oversized text cells (with a note) so one huge cell cannot stall detection."""
        text = [c for c, t in df.schema.items() if t == pl.String]
        if not text or df.height == 0:
            return df
        # Bytes first (free from the offsets): no cell has more characters than bytes.
        widest = df.select(pl.col(text).str.len_bytes().max()).row(0)
        wide = [c for c, size in zip(text, widest, strict=True) if size and size > MAX_CELL_CHARS]
        longest = df.select(pl.col(wide).str.len_chars().max()).row(0) if wide else ()
        big = [c for c, size in zip(wide, longest, strict=True) if size and size > MAX_CELL_CHARS]
        for col in big:
            self._warn(
                f"column {col!r}: cells longer than {MAX_CELL_CHARS:,} characters were "
                "truncated for detection"
            )
        if not big:
            return df
        return df.with_columns(pl.col(big).str.slice(0, MAX_CELL_CHARS))


@dataclass(frozen=True)
class DocumentFile:
    """A prose document (text, log, HTML, Word, PDF, e-mail) among the targets.

    Yielded by ``open_sources(..., documents=True)`` only; ``fenji.text`` scans it for spans
    instead of a table reader. Directory walking and include/exclude globs stay here.
    """

    path: Path


class Source(ABC):
    """One file or one database; ``tables()`` yields its tables, or an error per table."""

    uri: str  # file path, or database URL without the password
    kind: str  # csv, tsv, json, jsonl, parquet, xlsx, sqlite, postgresql, mysql
    encoding: str | None = None  # detected text encoding for text files

    @abstractmethod
    def tables(self) -> Iterator[TableReader | SourceError]:
        """Yield one reader per table, or a ``SourceError`` for a table that cannot be read."""

    def close(self) -> None:  # noqa: B027 - optional hook; most sources hold nothing open
        """Release connections and temporary files (also done when garbage-collected)."""

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(uri={self.uri!r}, kind={self.kind!r})"


def sample_positions(count: int, n: int, seed: int) -> np.ndarray:
    """Sorted positions of a uniform sample of ``n`` out of ``count`` rows, fixed by ``seed``."""
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(count, size=n, replace=False)).astype(np.int64)


def take_positions(lf: pl.LazyFrame, positions: np.ndarray) -> pl.LazyFrame:
    """Keep only the rows at ``positions`` (sorted), streaming through the frame once."""
    wanted = pl.Series(positions, dtype=pl.Int64).implode()
    return (
        lf.with_row_index(_ROW_INDEX)
        .filter(pl.col(_ROW_INDEX).cast(pl.Int64).is_in(wanted))
        .drop(_ROW_INDEX)
    )
