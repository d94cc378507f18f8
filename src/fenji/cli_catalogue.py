"""``fenji catalogue``: browse past scans stored in the catalogue (masked samples only)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from fenji.catalogue import Catalogue, ScanRecord, TableRecord
from fenji.errors import FenjiError
from fenji.model import Grade, TableProfile
from fenji.report.contract import grade_dict, table_dict

app = typer.Typer(
    name="catalogue",
    help="Browse past scans stored in the catalogue.",
    no_args_is_help=True,
    add_completion=False,
)

CatalogueUrl = Annotated[
    str | None,
    typer.Option(
        "--catalogue",
        metavar="URL",
        help="Catalogue database URL (default: $FENJI_CATALOGUE, else"
        " sqlite:///~/.local/share/fenji/catalogue.db).",
        show_default=False,
    ),
]


class Format(StrEnum):
    table = "table"
    json = "json"


@contextmanager
def _open(url: str | None) -> Iterator[Catalogue]:
    """Open the catalogue; any fenji error becomes one line on stderr and exit code 2."""
    try:
        with Catalogue(url) as cat:
            yield cat
    except FenjiError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None


def _when(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S") if value else "-"


def _grade_text(grade: Grade | None) -> str:
    return grade.level if grade else "-"


@app.command("list")
def list_scans(
    catalogue: CatalogueUrl = None,
    limit: Annotated[int | None, typer.Option(help="Show only the newest N scans.")] = None,
) -> None:
    """List scans, newest first."""
    with _open(catalogue) as cat:
        scans = cat.list_scans(limit)
    table = Table(title=f"fenji catalogue: {cat.display_url}", title_justify="left")
    for head in ("scan", "started", "status", "pack", "sources", "tables", "PI columns", "grade"):
        justify: Literal["left", "right"] = (
            "right" if head in ("scan", "sources", "tables") else "left"
        )
        table.add_column(head, justify=justify, overflow="fold")
    style = {"complete": "green", "running": "yellow", "interrupted": "red"}
    for s in scans:
        table.add_row(
            str(s.id),
            _when(s.started_at),
            Text(s.status, style=style.get(s.status, "")),
            Text(s.pack),
            str(s.sources),
            str(s.tables),
            str(s.pi_columns),
            Text(_grade_text(s.highest_grade)),
        )
    Console().print(table)


@app.command()
def show(
    target: Annotated[str, typer.Argument(metavar="SCAN_ID|TABLE")],
    catalogue: CatalogueUrl = None,
    source: Annotated[
        str | None, typer.Option(help="Source URI, when several sources have the table.")
    ] = None,
    format: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.table,
) -> None:
    """Show one scan (by id) or the newest complete record of one table (by name)."""
    with _open(catalogue) as cat:
        record: ScanRecord | TableRecord
        if target.isdigit():
            record = cat.get_scan(int(target))
        else:
            found = cat.latest_table(target, source)
            if found is None:
                typer.echo(
                    f"error: catalogue {cat.display_url}: no complete scan has table {target!r}",
                    err=True,
                )
                raise typer.Exit(2)
            record = found
    if format is Format.json:
        data = scan_dict(record) if isinstance(record, ScanRecord) else table_record_dict(record)
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    console = Console()
    if isinstance(record, ScanRecord):
        r = record.result
        console.print(
            Text(
                f"scan {record.id}  {record.status}  pack {r.pack} ({r.catalogue_version})"
                f"  started {_when(r.started_at)}  sample {r.sample or 'all'}"
            )
        )
        for src in r.sources:
            console.print(Text(f"\nsource {src.uri} ({src.kind})", style="bold"))
            for err in src.errors:
                console.print(Text(f"  error: {err}", style="red"))
            for t in src.tables:
                _print_table(console, t)
            for d in src.documents:
                console.print(
                    Text(
                        f"  document {d.name}: {len(d.findings)} findings,"
                        f" grade {_grade_text(d.grade)}"
                    )
                )
    else:
        console.print(
            Text(
                f"table {record.name} from {record.source_uri}, scan {record.scan_id}"
                f" ({_when(record.started_at)}, pack {record.pack})"
            )
        )
        _print_table(console, record.profile)


def _print_table(console: Console, t: TableProfile) -> None:
    ind = t.individuals
    who = f"~{ind.estimate} individuals by {ind.key} ({ind.column})" if ind else "no identifier"
    if ind and ind.minors_under_14 is not None:
        who += f", ~{ind.minors_under_14} under 14"
    rows = "?" if t.rows is None else f"{t.rows}{'' if t.rows_exact else ' (est.)'}"
    grade = _grade_text(t.grade)
    table = Table(
        title=f"{t.name}: {rows} rows, {t.rows_sampled} sampled; {who}; grade {grade}",
        title_justify="left",
    )
    for head in ("column", "info types", "category", "sensitive", "grade", "samples (masked)"):
        table.add_column(head, overflow="fold")
    for c in t.columns:
        table.add_row(
            Text(c.name),
            Text(", ".join(f"{h.type} {h.score:.2f}" for h in c.info_types) or "-"),
            Text(c.category or "-"),
            "yes" if c.sensitive else "",
            Text(_grade_text(c.grade)),
            Text(", ".join(c.samples[:3])),
        )
    console.print(table)
    for w in t.warnings:
        console.print(Text(f"  warning: {w}", style="yellow"))


def table_record_dict(rec: TableRecord) -> dict[str, Any]:
    """``show TABLE --format json``: the table plus where and when it was recorded."""
    return {
        "scan": rec.scan_id,
        "started_at": rec.started_at.isoformat(),
        "pack": rec.pack,
        "source": {"uri": rec.source_uri, "kind": rec.source_kind},
        "table": table_dict(rec.profile),
    }


def scan_dict(rec: ScanRecord) -> dict[str, Any]:
    """``show SCAN_ID --format json``: the report contract's shape plus the scan's id and status."""
    r = rec.result
    return {
        "tool": {"name": "fenji", "version": rec.tool_version},
        "scan": {
            "id": rec.id,
            "status": rec.status,
            "pack": r.pack,
            "catalogue_version": r.catalogue_version,
            "sample": r.sample,
            "started_at": r.started_at.isoformat(),
            "finished_at": r.finished_at.isoformat(),
        },
        "sources": [
            {
                "uri": s.uri,
                "kind": s.kind,
                "encoding": s.encoding,
                "errors": list(s.errors),
                "tables": [table_dict(t) for t in s.tables],
                "documents": [
                    {
                        "name": d.name,
                        "chars": d.chars,
                        "grade": grade_dict(d.grade),
                        "findings": [
                            {
                                "type": f.type,
                                "start": f.start,
                                "end": f.end,
                                "score": f.score,
                                "masked": f.masked,
                            }
                            for f in d.findings
                        ],
                    }
                    for d in s.documents
                ],
            }
            for s in r.sources
        ],
    }


@app.command()
def individuals(
    tables: Annotated[list[str], typer.Argument(metavar="TABLE...")],
    catalogue: CatalogueUrl = None,
    mixed_keys: Annotated[
        bool, typer.Option(help="Allow tables keyed on different identifier types.")
    ] = False,
) -> None:
    """Estimated distinct individuals across tables (a person in several counts once)."""
    with _open(catalogue) as cat:
        estimate = cat.merge_sketches(tables, mixed_keys=mixed_keys)
    typer.echo(str(estimate))
