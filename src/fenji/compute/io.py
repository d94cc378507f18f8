"""Reading a party's own input through ``fenji.sources`` and writing its own results.

Every input fenji can scan (CSV/TSV with any encoding, JSON, Parquet, Excel, SQLite, PostgreSQL,
MySQL) can feed a joint computation. Only the named columns are read, in streaming batches.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl

from fenji.errors import InputError, SourceError, choices
from fenji.sources import TableReader, open_sources


def _reader(target: str, table: str | None) -> TableReader:
    found = list(open_sources([target], tables=table))
    if not found:
        raise SourceError(f"{target}: nothing to read")
    source = found[0]
    if isinstance(source, SourceError):
        raise source
    readers: list[TableReader] = []
    for item in source.tables():
        if isinstance(item, SourceError):
            raise item
        readers.append(item)
    if table is not None:
        picked = [r for r in readers if table in (r.name, r.name.rsplit(".", 1)[-1])]
        if not picked:
            raise InputError(
                f"{source.uri}: no table {table!r}; tables: {choices(r.name for r in readers)}"
            )
        readers = picked
    if not readers:
        raise SourceError(f"{source.uri}: no table to read")
    if len(readers) > 1:
        raise InputError(
            f"{source.uri}: holds {len(readers)} tables; pick one with --table: "
            f"{choices(r.name for r in readers)}"
        )
    return readers[0]


def read_columns(target: str, columns: Sequence[str], table: str | None = None) -> pl.DataFrame:
    """The named columns of one table of ``target`` (a file or database URL), all rows.

    ``table`` picks a table of a database or a sheet of a workbook (required when there are
    several). A missing column is a ``SourceError`` listing the columns that exist.
    """
    reader = _reader(target, table)
    batches = list(reader.iter_batches(list(dict.fromkeys(columns))))
    if not batches:
        return pl.DataFrame({c: pl.Series(c, [], dtype=pl.String) for c in columns})
    return pl.concat(batches, how="vertical_relaxed")


def numeric(df: pl.DataFrame, column: str) -> pl.Series:
    """The column as Float64; text that is not a number becomes null (counted by the caller).

    CSV columns arrive as text; surrounding spaces are trimmed before parsing.
    """
    s = df.get_column(column)
    if s.dtype == pl.String:
        s = s.str.strip_chars()
    return s.cast(pl.Float64, strict=False)


def write_identifiers(path: Path, column: str, values: pl.Series) -> None:
    """Write one party's own matched identifiers (normalised, sorted) as a one-column CSV."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        values.sort().alias(column).to_frame().write_csv(path)
    except OSError as exc:
        raise InputError(f"--output {path}: cannot write ({exc.strerror})") from exc


def read_identifiers(path: Path) -> pl.Series:
    """The first column of a PSI result file written by ``write_identifiers``, as text."""
    if not path.is_file():
        raise InputError(f"--within {path}: no such file (a CSV written by `fenji compute psi`)")
    try:
        df = pl.read_csv(path, infer_schema=False)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise SourceError(f"--within {path}: cannot read ({type(exc).__name__})") from exc
    if df.width == 0:
        raise InputError(f"--within {path}: the file has no column")
    return df.get_column(df.columns[0])
