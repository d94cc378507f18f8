"""Rich tables for the terminal: a summary per source, the PI columns, then errors in red.

Sized for 100 columns: long names fold rather than push the table wider.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from fenji.model import ColumnProfile, Grade, ScanResult, SourceProfile, TableProfile
from fenji.report.charts import grade_style
from fenji.report.contract import is_pi_column, redact_text, redact_uri, summarize


def grade_text(grade: Grade | None) -> Text:
    """A level id in the palette shared with the HTML report (``-`` when ungraded)."""
    if grade is None:
        return Text("-", style="dim")
    return Text(f" {grade.level} ", style=grade_style(grade.level))


def _rows(table: TableProfile) -> str:
    rows = "?" if table.rows is None else f"{'' if table.rows_exact else '~'}{table.rows:,}"
    return f"{rows} ({table.rows_sampled:,})"


def _individuals(table: TableProfile) -> str:
    ind = table.individuals
    if ind is None:
        return "-"
    minors = f", {ind.minors_under_14:,} <14" if ind.minors_under_14 else ""
    return f"≈{ind.estimate:,} {ind.key}{minors}"


def _source_table(src: SourceProfile) -> Table:
    # Names are user data: Text() keeps Rich from reading "[...]" in them as markup.
    title = f"{redact_uri(src.uri)} [{src.kind}{', ' + src.encoding if src.encoding else ''}]"
    docs_only = bool(src.documents) and not src.tables
    out = Table(title=Text(title), title_justify="left", expand=False)
    out.add_column("document" if docs_only else "table", overflow="fold", max_width=36)
    out.add_column("size" if docs_only else "rows (sampled)", justify="right", no_wrap=True)
    out.add_column("findings" if docs_only else "individuals", overflow="fold", max_width=34)
    out.add_column("grade", no_wrap=True)
    for t in src.tables:
        out.add_row(Text(t.name), _rows(t), Text(_individuals(t)), grade_text(t.grade))
    for d in src.documents:
        found = f"{len(d.findings):,} findings"
        out.add_row(Text(d.name), f"{d.chars:,} chars", found, grade_text(d.grade))
    return out


def _types(col: ColumnProfile) -> str:
    return ", ".join(f"{h.type} ({h.score:.2f})" for h in col.info_types) or "-"


def _pi_table(result: ScanResult) -> Table | None:
    out = Table(title="PI columns", title_justify="left")
    out.add_column("table.column", overflow="fold", max_width=30)
    out.add_column("info types (score)", overflow="fold", max_width=34)
    out.add_column("category", overflow="fold", max_width=20)
    out.add_column("sens.", justify="center", no_wrap=True)
    out.add_column("grade", no_wrap=True)
    for src in result.sources:
        for t in src.tables:
            for c in t.columns:
                if is_pi_column(c):
                    sens = Text("✓", style="bold red") if c.sensitive else Text("")
                    out.add_row(Text(f"{t.name}.{c.name}"), _types(c),
                                Text(c.category or "-"), sens, grade_text(c.grade))
    return out if out.row_count else None


def _named(uri: str, message: str) -> str:
    """Prefix a message with its source unless it already names it (source errors usually do)."""
    return message if uri in message else f"{uri}: {message}"


def print_table(result: ScanResult, console: Console) -> None:
    """Print the scan as Rich tables on ``console``: sources, PI columns, warnings, errors."""
    for src in result.sources:
        if src.tables or src.documents:
            console.print(_source_table(src))
    pi = _pi_table(result)
    if pi is not None:
        console.print(pi)
    else:
        console.print("No PI columns found.", style="green")
    for src in result.sources:
        uri = redact_uri(src.uri)
        for t in src.tables:
            for w in t.warnings:
                console.print(Text(f"warning: {uri} {t.name}: {redact_text(w)}", style="yellow"))
        for e in src.errors:
            console.print(Text(f"error: {_named(uri, redact_text(e))}", style="bold red"))
    s = summarize(result)
    top = s["highest_grade"]
    line = Text(
        f"{s['tables']} tables, {s['pi_columns']}/{s['columns']} PI columns, "
        f"{s['sensitive_columns']} sensitive; highest grade "
    )
    line.append(f" {top['level']} " if top else "-", style=grade_style(top["level"]) if top else "")
    if not result.complete:
        line.append("  (scan interrupted: partial results)", style="bold yellow")
    console.print(line)
