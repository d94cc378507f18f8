"""Excel workbooks (.xlsx, .xlsm): every sheet is a table named ``<file stem>:<sheet>``.

Sheets are read with the fastexcel/calamine engine with every cell as text, so numbers typed as
text keep their leading zeros. Calamine reads a sheet whole, so a sheet is parsed once and kept
by its reader.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import fastexcel
import polars as pl

from fenji.errors import SourceError
from fenji.sources.base import TableReader
from fenji.sources.tabular import LazyTable, polars_errors


def sheet_names(path: Path) -> list[str]:
    """Names of the sheets in the workbook at ``path`` (``SourceError`` if it is not one)."""
    try:
        return list(fastexcel.read_excel(str(path)).sheet_names)
    except Exception as exc:  # fastexcel raises its own hierarchy; none may escape as a crash
        raise SourceError(f"{path}: corrupt or unreadable Excel workbook") from exc


def excel_tables(path: Path, sheets: list[str]) -> Iterator[TableReader | SourceError]:
    """One reader per non-empty sheet of the workbook at ``path``."""
    for sheet in sheets:
        table = ExcelSheetTable(path, sheet)
        try:
            if not table.columns():
                continue  # a blank sheet holds nothing to scan
        except SourceError as exc:
            yield exc
            continue
        yield table


class ExcelSheetTable(LazyTable):
    """One worksheet, every cell as text."""

    def __init__(self, path: Path, sheet: str) -> None:
        super().__init__(f"{path.stem}:{sheet}", f"{path} sheet {sheet!r}")
        self.path = path
        self.sheet = sheet
        self._frame: pl.DataFrame | None = None

    def _scan(self) -> pl.LazyFrame:
        if self._frame is None:
            try:
                with polars_errors(self.uri):
                    frame = pl.read_excel(
                        self.path,
                        sheet_name=self.sheet,
                        engine="calamine",
                        infer_schema_length=0,
                        raise_if_empty=False,
                    )
            except SourceError:
                raise
            except Exception as exc:  # calamine errors are not Polars errors
                raise SourceError(f"{self.uri}: cannot read sheet") from exc
            if not isinstance(frame, pl.DataFrame):  # one sheet asked for, one frame back
                raise SourceError(f"{self.uri}: sheet name matched more than one sheet")
            self._frame = frame.cast(pl.String)
        return self._frame.lazy()
