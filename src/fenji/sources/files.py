"""JSON, JSON Lines and Parquet files as tables.

JSON values are read as text (nested objects and arrays as their JSON text), like CSV cells, so
that long numbers keep every digit. Parquet keeps its own types; binary columns are skipped.
"""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from fenji.errors import SourceError
from fenji.sources.encoding import Utf8Copy
from fenji.sources.tabular import LazyTable, drop_binary, polars_errors


def _all_text(schema: pl.Schema) -> dict[str, pl.DataType]:
    return {name: pl.String() for name in schema.names()}


class JsonLinesTable(LazyTable):
    """A JSON Lines file: one object per line; every key seen anywhere becomes a column."""

    def __init__(self, name: str, path: Path, text: Utf8Copy) -> None:
        super().__init__(name, str(path))
        self._text = text
        self._text_schema: dict[str, pl.DataType] | None = None

    def _scan(self) -> pl.LazyFrame:
        if self._text_schema is None:
            # A full pass for the schema: a key that first appears late may still hold PI.
            with polars_errors(self.uri, "malformed JSON Lines"):
                inferred = pl.scan_ndjson(
                    self._text.get(), infer_schema_length=None
                ).collect_schema()
            self._text_schema = _all_text(inferred)
        return pl.scan_ndjson(self._text.get(), schema=self._text_schema)


class JsonTable(LazyTable):
    """A JSON file holding an array of objects (or one object). Parsed whole, then cached."""

    def __init__(self, name: str, path: Path, text: Utf8Copy) -> None:
        super().__init__(name, str(path))
        self._text = text
        self._frame: pl.DataFrame | None = None

    def _scan(self) -> pl.LazyFrame:
        if self._frame is None:
            with self._text.get().open("rb") as fh:
                start = fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
            if start not in (b"[", b"{"):
                raise SourceError(f"{self.uri}: not a JSON array of objects")
            with polars_errors(self.uri, "malformed JSON"):
                parsed = pl.read_json(self._text.get(), infer_schema_length=None)
                # Round-trip through NDJSON (in Rust) to get every value, nested ones included,
                # as its JSON text rather than as typed values.
                self._frame = pl.read_ndjson(
                    io.BytesIO(parsed.write_ndjson().encode()), schema=_all_text(parsed.schema)
                )
        return self._frame.lazy()


class ParquetTable(LazyTable):
    """A Parquet file; column types are kept, binary columns skipped with a note."""

    def __init__(self, name: str, path: Path) -> None:
        super().__init__(name, str(path))
        self.path = path
        try:
            self._rows = pq.read_metadata(path).num_rows
            with polars_errors(self.uri):
                self._keep = drop_binary(self, pl.Schema(pl.read_parquet_schema(path)))
        except (OSError, ValueError, pa.ArrowException) as exc:
            raise SourceError(f"{path}: corrupt or unreadable Parquet file") from exc
        except SourceError as exc:
            raise SourceError(f"{path}: corrupt or unreadable Parquet file") from exc

    def _scan(self) -> pl.LazyFrame:
        return pl.scan_parquet(self.path).select(self._keep)

    def _validate(self) -> int:
        return int(self._rows)  # from the footer: exact and free
