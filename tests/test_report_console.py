"""Rich console tables: readable in 100 columns, grade colours shared with HTML, errors in red."""

from __future__ import annotations

import io
import re
from dataclasses import replace

from rich.console import Console

from fenji.model import ScanResult, SourceProfile, TableProfile
from fenji.report import GRADE_COLOURS, print_table, render_html
from test_report_fixtures import RAW_VALUES, make_result


def render(result: ScanResult | None = None, *, colour: bool = False) -> str:
    buf = io.StringIO()
    console = Console(file=buf, width=100, color_system="truecolor" if colour else None,
                      force_terminal=colour, legacy_windows=False)
    print_table(result or make_result(), console)
    return buf.getvalue()


def test_fits_100_columns_and_shows_everything() -> None:
    out = render()
    assert max(len(line) for line in out.splitlines()) <= 100
    for text in ("people", "3,000 (1,000)", "~120,000 (1,000)", "≈2,987 CN_RESIDENT_ID",
                 "people.身份证号", "CN_RESIDENT_ID (0.99)", "personal.identity", "✓",
                 "general-4", "app.log", "2 findings", "data/人员/people.csv"):
        assert text in out, text
    assert "备注" not in out  # not a PI column
    for raw in RAW_VALUES:
        assert raw not in out


def test_errors_in_red_and_warnings_shown() -> None:
    out = render(colour=True)
    assert re.search(r"\x1b\[1;31m[^\x1b]*error: broken\.xlsx: .*not a valid workbook", out)
    assert "broken.xlsx: broken.xlsx" not in out  # the message already names its source
    plain = " ".join(re.sub(r"\x1b\[[0-9;]*m", "", out).split())
    assert "warning: postgresql://analyst@db.internal:5432/crm public.customers: row count" in plain


def test_grade_colours_match_html() -> None:
    out = render(colour=True)
    html = render_html(make_result())
    for level in ("general-3", "general-4"):
        hex_ = GRADE_COLOURS[level]
        r, g, b = (int(hex_[i:i + 2], 16) for i in (1, 3, 5))
        assert f"48;2;{r};{g};{b}" in out  # background of the level badge in the terminal
        assert f"background:{hex_}" in html


def test_names_are_not_read_as_rich_markup() -> None:
    result = make_result()
    people = result.sources[0].tables[0]
    cols = (replace(people.columns[0], name="[bold]身份[/bold]"), *people.columns[1:])
    src = replace(result.sources[0], uri="[red]x.csv", tables=(replace(people, columns=cols),))
    out = render(replace(result, sources=(src,)))
    assert "people.[bold]身份[/bold]" in out and "[red]x.csv" in out


def test_no_pi_and_interrupted() -> None:
    plain = TableProfile("t", 5, True, 5, ())
    result = replace(make_result(complete=False),
                     sources=(SourceProfile("t.csv", "csv", (plain,)),))
    out = render(result)
    assert "No PI columns found." in out
    assert "interrupted" in out
