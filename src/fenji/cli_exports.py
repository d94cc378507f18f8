"""``fenji exports record|summary|list``: the export ledger behind cumulative cross-border counts.

Exit codes: 0 success, 2 bad input (the message names the file, key or option).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from fenji.catalogue import Catalogue
from fenji.catalogue.ledger import (
    ExportRecord,
    ExportSummary,
    Total,
    list_exports,
    record_export,
    summarize_exports,
)
from fenji.errors import FenjiError, InputError
from fenji.policy import load_activity
from fenji.policy.catalogue_facts import CatalogueFacts, export_record
from fenji.records.log import append_event

exports_app = typer.Typer(no_args_is_help=True, add_completion=False)
err_console = Console(stderr=True)


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


_CATALOGUE_HELP = "Catalogue URL (default: env FENJI_CATALOGUE, then the SQLite default)."


def _fail(exc: FenjiError) -> typer.Exit:
    err_console.print("[red]error:[/]", Text(str(exc)), highlight=False, soft_wrap=True)
    return typer.Exit(exc.exit_code)


def _date(text: str | None, option: str) -> date:
    if text is None:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{option}: {text!r} is not a date (YYYY-MM-DD)") from None


def _year(year: int | None) -> int:
    if year is None:
        return date.today().year
    if not 1 <= year <= 9998:
        raise InputError(f"--year: {year} is not a calendar year (1-9998)")
    return year


def _record_dict(r: ExportRecord) -> dict[str, Any]:
    return {
        "id": r.id,
        "date": r.date.isoformat(),
        "activity": r.activity,
        "processor": r.processor,
        "recipient": r.recipient,
        "country": r.country,
        "purpose": r.purpose,
        "info_types": list(r.info_types),
        "tables": [{"name": n, "scan": s} for n, s in r.tables],
        "individuals": r.individuals,
        "sensitive_individuals": r.sensitive_individuals,
        "unsketched_individuals": r.unsketched_individuals,
        "sketch": r.sketch is not None,  # the bytes stay in the catalogue
    }


def _total_dict(t: Total) -> dict[str, Any]:
    return {"individuals": t.individuals, "upper_bound": t.upper_bound}


def summary_dict(s: ExportSummary) -> dict[str, Any]:
    """The JSON shape of ``fenji exports summary``."""
    return {
        "year": s.year,
        "exports": s.exports,
        "individuals": _total_dict(s.individuals),
        "sensitive_individuals": _total_dict(s.sensitive),
        "by_info_type": {k: _total_dict(v) for k, v in s.by_info_type.items()},
        "notes": list(s.notes),
    }


@exports_app.command("record")
def record_command(
    activity: Path = typer.Argument(..., help="Activity file of kind export (docs/policy.md)."),
    on: str | None = typer.Option(
        None, "--date", help="Date the export was performed (YYYY-MM-DD; default today)."
    ),
    catalogue: str | None = typer.Option(
        None, "--catalogue", envvar="FENJI_CATALOGUE", help=_CATALOGUE_HELP
    ),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", "-f", help="table or json."),
) -> None:
    """Record a performed export so later `fenji check` runs count it cumulatively."""
    try:
        day = _date(on, "--date")
        act = load_activity(activity)
        if act.kind != "export":
            raise InputError(
                f"{act.source}: activity.kind is {act.kind!r}; only activities of kind 'export' "
                "are recorded in the export ledger"
            )
        with Catalogue(catalogue) as cat:
            rec = export_record(act, CatalogueFacts(cat), day)
            same_day = [r for r in list_exports(cat, day.year)
                        if r.date == day and r.activity == rec.activity]
            rec_id = record_export(cat, rec)
            append_event(cat, "exports.record", {
                "export_id": rec_id, "date": day.isoformat(), "recipient": rec.recipient,
                "country": rec.country, "individuals": rec.individuals,
                "sensitive_individuals": rec.sensitive_individuals,
            })
    except FenjiError as exc:
        raise _fail(exc) from None
    if same_day:
        err_console.print(f"warning: {rec.activity} was already recorded for {day} (export "
                          f"{same_day[0].id}); if it is the same export, it now counts twice",
                          highlight=False, markup=False)
    if fmt is OutputFormat.json:
        typer.echo(json.dumps(_record_dict(replace(rec, id=rec_id)), ensure_ascii=False, indent=2))
        return
    where = f"{rec.recipient} ({rec.country})" if rec.country else rec.recipient
    bound = (f" ({rec.unsketched_individuals:,} of them counted without a sketch)"
             if rec.unsketched_individuals else "")
    Console().print(
        f"Recorded export {rec_id} on {day} to {where}: {rec.individuals:,} individuals{bound}, "
        f"{rec.sensitive_individuals:,} with sensitive PI; info types: "
        f"{', '.join(rec.info_types) or '-'}",
        highlight=False, markup=False,
    )


@exports_app.command("summary")
def summary_command(
    year: int | None = typer.Option(None, "--year", help="Calendar year (default this year)."),
    catalogue: str | None = typer.Option(
        None, "--catalogue", envvar="FENJI_CATALOGUE", help=_CATALOGUE_HELP
    ),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", "-f", help="table or json."),
) -> None:
    """Distinct people exported in a year: overall, with sensitive PI, per info type."""
    try:
        y = _year(year)
        with Catalogue(catalogue) as cat:
            summary = summarize_exports(list_exports(cat, y), y)
    except FenjiError as exc:
        raise _fail(exc) from None
    if fmt is OutputFormat.json:
        typer.echo(json.dumps(summary_dict(summary), ensure_ascii=False, indent=2))
        return
    console = Console()
    console.print(f"Exports in {summary.year}: {summary.exports}", highlight=False)
    table = Table()
    table.add_column("Data")
    table.add_column("Distinct individuals", justify="right")
    table.add_column("Counted as", no_wrap=True)

    def row(label: str, total: Total) -> None:
        how = "sum (upper bound)" if total.upper_bound else "distinct"
        table.add_row(label, f"{total.individuals:,}", how)

    row("all personal information", summary.individuals)
    row("sensitive personal information", summary.sensitive)
    for info_type, total in summary.by_info_type.items():
        row(info_type, total)
    console.print(table)
    for note in summary.notes:
        console.print(f"note: {note}", highlight=False, markup=False)


@exports_app.command("list")
def list_command(
    year: int | None = typer.Option(None, "--year", help="Calendar year (default this year)."),
    catalogue: str | None = typer.Option(
        None, "--catalogue", envvar="FENJI_CATALOGUE", help=_CATALOGUE_HELP
    ),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", "-f", help="table or json."),
) -> None:
    """The exports recorded in a year, oldest first."""
    try:
        y = _year(year)
        with Catalogue(catalogue) as cat:
            records = list_exports(cat, y)
    except FenjiError as exc:
        raise _fail(exc) from None
    if fmt is OutputFormat.json:
        typer.echo(json.dumps([_record_dict(r) for r in records], ensure_ascii=False, indent=2))
        return
    table = Table()
    for col in ("id", "date", "recipient", "country", "individuals", "sensitive", "activity"):
        table.add_column(col, justify="right" if col in ("individuals", "sensitive") else "left")
    for r in records:
        table.add_row(str(r.id), r.date.isoformat(), Text(r.recipient), r.country or "-",
                      f"{r.individuals:,}", f"{r.sensitive_individuals:,}", Text(r.activity))
    Console().print(table)
