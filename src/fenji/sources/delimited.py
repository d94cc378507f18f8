"""CSV and TSV files: delimiter sniffing, every column as text, ragged rows refused.

Every column is read as Utf8 (``infer_schema=False``): identifiers must keep their leading zeros
and never turn into floats. A row with more fields than the header is an error naming its line
(its data would otherwise be dropped or shifted); a row with fewer fields is read with the missing
fields empty, as many exporters trim trailing empty fields.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from itertools import islice
from pathlib import Path

import polars as pl

from fenji.errors import SourceError
from fenji.sources.encoding import Utf8Copy
from fenji.sources.tabular import LazyTable, polars_errors

DELIMITERS = (",", "\t", ";", "|")
_EXTRA = "\x00fenji_extra_fields"  # catches fields beyond the header (NUL: never a real name)
_SNIFF_LINES = 50
# A streamed scan counts a file up to this size by mapping it (fast; its pages show as resident).
FAST_COUNT_BYTES = 256 * 2**20


def sniff_delimiter(text: str, default: str = ",") -> str:
    """The delimiter among ``, TAB ; |`` that splits the sample into the most consistent rows.

    Own code rather than ``csv.Sniffer``: the sniffer guesses from character frequencies and
    fails on short or quoted samples, while parsing with each candidate through the stdlib
    ``csv`` reader (quotes respected) and keeping the one whose rows agree with the header is
    predictable.
    """
    lines = text.splitlines(keepends=True)[:_SNIFF_LINES]
    if len(lines) > 1 and not text.endswith(("\n", "\r")):
        lines = lines[:-1]  # the last line of a cut sample may be partial
    best: tuple[float, int, str] = (0.0, 1, default)
    sample = "".join(lines)
    for delim in DELIMITERS:
        rows = [r for r in csv.reader(io.StringIO(sample), delimiter=delim) if r]
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        agree = Counter(len(r) for r in rows)[width] / len(rows)
        if (agree, width) > best[:2]:
            best = (agree, width, delim)
    return best[2]


class CsvTable(LazyTable):
    """One CSV/TSV file as a table of text columns."""

    def __init__(self, name: str, path: Path, text: Utf8Copy, separator: str) -> None:
        super().__init__(name, str(path))
        self.path = path
        self.separator = separator
        self._text = text
        self._header: dict[str, pl.DataType] | None = None
        self._fast_count: int | None = None

    def _scan(self) -> pl.LazyFrame:
        if self._header is None:
            with polars_errors(self.uri):
                header = pl.scan_csv(
                    self._text.get(), separator=self.separator, infer_schema=False
                ).collect_schema()
            self._header = {name: pl.String() for name in header.names()}
        # One more column than the header, filled only by rows that have too many fields.
        schema = {**self._header, _EXTRA: pl.String()}
        return pl.scan_csv(
            self._text.get(),
            separator=self.separator,
            schema=schema,
            truncate_ragged_lines=True,
            missing_columns="insert",
        )

    def bytes_per_row(self) -> float | None:
        """The file's (UTF-8) size over its rows: CSV text is about what the cells hold."""
        rows, _ = self.streamed_row_count()
        return self._text.get().stat().st_size / rows if rows else None

    def streamed_row_count(self) -> tuple[int | None, bool]:
        """Rows of a file that is read in batches, each checked for extra fields as it comes
        (``_finish``). Up to ``FAST_COUNT_BYTES`` Polars counts them without parsing, by mapping
        the whole file, whose pages then count as resident memory; a bigger file is counted
        by the checked pass, which streams it (decision 14)."""
        if self._count is not None or self._text.get().stat().st_size > FAST_COUNT_BYTES:
            return self.row_count()
        if self._fast_count is None:
            with polars_errors(self.uri):
                self._fast_count = int(self._scan().select(pl.len()).collect().item())
        return self._fast_count, True

    def _validate(self) -> int:
        extra = pl.col(_EXTRA).is_not_null()
        with polars_errors(self.uri):
            count, ragged, first = (
                self._scan()
                .select(pl.len(), extra.any().alias("any"), extra.arg_max().alias("at"))
                .collect()
                .row(0)
            )
        if ragged:
            self._raise_ragged(int(first))
        return int(count)

    def _finish(self, df: pl.DataFrame, first_row: int) -> pl.DataFrame:
        if _EXTRA in df.columns:
            extra = df.get_column(_EXTRA).is_not_null()
            if extra.any():
                self._raise_ragged(first_row + int(extra.arg_max() or 0))
            df = df.drop(_EXTRA)
        return self._guard(df)

    def _raise_ragged(self, record: int) -> None:
        line = self._line_of(record)
        where = f"line {line}" if line else f"data row {record + 1}"
        raise SourceError(
            f"{self.uri}: ragged rows: {where} has more fields than the header "
            f"({len(self._header or {})}, separator {self.separator!r})"
        )

    def _line_of(self, record: int) -> int | None:
        """Physical line of data record ``record`` (0-based); only called on the error path."""
        with self._text.get().open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh, delimiter=self.separator)
            rows = (row for row in reader if row)  # Polars skips blank lines too
            try:
                if next(islice(rows, record + 1, None), None) is None:
                    return None
            except csv.Error:  # e.g. a cell beyond the csv module's field size limit
                return None
            return reader.line_num
