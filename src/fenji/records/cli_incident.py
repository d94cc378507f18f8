"""``fenji incident open|update|status``: incidents, their clocks and the Art. 57 notice."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from fenji.errors import InputError
from fenji.records import incidents
from fenji.records.cli_common import (
    At,
    CatalogueUrl,
    Format,
    FormatOpt,
    SigningKey,
    catalogue,
    console,
    key,
    print_json,
    stamp,
    when,
)
from fenji.records.clocks import incident_status, notice_draft

incident_app = typer.Typer(
    name="incident", help="Incidents: affected data, notice clocks (PIPL Art. 57, GDPR Art. 33,"
                          " CAC 2025), notice drafts.",
    no_args_is_help=True, add_completion=False,
)

Text = Annotated[str | None, typer.Option(show_default=False)]
Time = Annotated[str | None, typer.Option(metavar="TIME", show_default=False)]
Count = Annotated[int | None, typer.Option(min=0, show_default=False)]
Many = Annotated[list[str] | None, typer.Option(show_default=False)]

# CLI option -> incident field, for the time options of open and update.
_TIMES = {"occurred": "occurred_at", "authority_notified": "authority_notified_at",
          "individuals_notified": "individuals_notified_at",
          "supervisory_notified": "supervisory_notified_at",
          "reported": "incident_reported_at", "handling_ended": "handling_ended_at",
          "summary_reported": "summary_reported_at"}


def _details(texts: dict[str, str | None], times: dict[str, str | None],
             counts: dict[str, int | None]) -> dict[str, Any]:
    out: dict[str, Any] = {k: v for k, v in texts.items() if v is not None}
    out.update({_TIMES[k]: when(v, f"--{k.replace('_', '-')}") for k, v in times.items()
                if v is not None})
    out.update({k: v for k, v in counts.items() if v is not None})
    return out


@incident_app.command("open")
def open_(
    title: str,
    detected: Annotated[str, typer.Option(metavar="TIME", help="When you became aware of it"
                                                               " (the clocks start here).")],
    kind: Annotated[str, typer.Option(help="leak, tampering or loss.")] = "leak",
    category: Many = None,
    table: Annotated[list[str] | None, typer.Option(
        help="Catalogue table affected (people and categories from its newest scan); repeat."
    )] = None,
    individuals: Count = None,
    sensitive_individuals: Count = None,
    minors: Count = None,
    processor: Annotated[str, typer.Option(help="Your organisation's name.")] = "processor",
    ciio: Annotated[bool, typer.Option(help="Critical information infrastructure operator.")
                    ] = False,
    state_organ: Annotated[bool, typer.Option(help="A central or state organ.")] = False,
    gdpr: Annotated[bool, typer.Option(help="GDPR applies (Art. 33/34 clocks).")] = True,
    occurred: Time = None,
    cause: Text = None,
    harm: Text = None,
    remedies: Text = None,
    advice: Text = None,
    contact: Text = None,
    catalogue_url: CatalogueUrl = None,
    signing_key: SigningKey = None,
) -> None:
    """Record an incident. --category takes info-type ids (e.g. CN_MOBILE_PHONE); repeat."""
    with catalogue(catalogue_url) as cat:
        detected_at = when(detected, "--detected")
        if detected_at is None:
            raise InputError("--detected: give the time you became aware of the incident")
        details = _details({"cause": cause, "harm": harm, "remedies": remedies,
                            "advice": advice, "contact": contact}, {"occurred": occurred},
                           {"individuals": individuals,
                            "sensitive_individuals": sensitive_individuals,
                            "minors_under_14": minors})
        inc = incidents.open_incident(
            cat, title, detected_at=detected_at, kind=kind, categories=category or (),
            tables=table or (), signing_key=key(signing_key),
            processor={"name": processor, "ciio": ciio, "state_organ": state_organ,
                       "gdpr": gdpr}, **details)
        status = incident_status(cat, inc.id)
    typer.echo(f"incident {inc.id} opened (detected {stamp(inc.detected_at)})")
    _print_clocks(status)


@incident_app.command("update")
def update(
    incident_id: int,
    authority_notified: Time = None,
    individuals_notified: Time = None,
    supervisory_notified: Time = None,
    reported: Annotated[str | None, typer.Option(
        metavar="TIME", help="Reported under the CAC incident-reporting measures.")] = None,
    handling_ended: Time = None,
    summary_reported: Time = None,
    occurred: Time = None,
    category: Many = None,
    table: Many = None,
    individuals: Count = None,
    sensitive_individuals: Count = None,
    minors: Count = None,
    cause: Text = None,
    harm: Text = None,
    remedies: Text = None,
    advice: Text = None,
    contact: Text = None,
    close: Annotated[bool, typer.Option("--close", help="Mark the incident closed.")] = False,
    catalogue_url: CatalogueUrl = None,
    signing_key: SigningKey = None,
) -> None:
    """Record notices given, new facts, or the end of handling. Times: ISO 8601."""
    changes = _details(
        {"cause": cause, "harm": harm, "remedies": remedies, "advice": advice,
         "contact": contact},
        {"authority_notified": authority_notified, "individuals_notified": individuals_notified,
         "supervisory_notified": supervisory_notified, "reported": reported,
         "handling_ended": handling_ended, "summary_reported": summary_reported,
         "occurred": occurred},
        {"individuals": individuals, "sensitive_individuals": sensitive_individuals,
         "minors_under_14": minors})
    if category:
        changes["categories"] = category
    if table:
        changes["tables"] = table
    if close:
        changes["status"] = "closed"
    with catalogue(catalogue_url) as cat:
        incidents.update_incident(cat, incident_id, signing_key=key(signing_key), **changes)
        status = incident_status(cat, incident_id)
    typer.echo(f"incident {incident_id} updated: {', '.join(sorted(changes))}")
    _print_clocks(status)


def _print_clocks(status: incidents.IncidentStatus) -> None:
    inc, aff = status.incident, status.affected
    people = f"{aff.individuals:,}" if aff.individuals is not None else "unknown"
    table = Table(title=f"incident {inc.id}: {inc.title} ({inc.status}) — people: {people};"
                        f" categories: {', '.join(aff.categories) or '-'}",
                  title_justify="left")
    for head in ("rule", "state", "deadline", "done", "what", "citation"):
        table.add_column(head, overflow="fold")
    colour = {"overdue": "red", "now": "yellow", "late": "red", "due": "yellow",
              "done": "green", "pending": "dim"}
    for c in status.clocks:
        deadline = stamp(c.deadline) if c.deadline else c.deadline_text or "-"
        table.add_row(c.code, f"[{colour[c.state]}]{c.state}[/]", deadline, stamp(c.done_at),
                      c.text, c.citation)
    console.print(table)
    for w in status.warnings:
        console.print(f"[yellow]warning:[/yellow] {w}", highlight=False)


def _status_json(status: incidents.IncidentStatus) -> dict[str, Any]:
    inc, aff = status.incident, status.affected
    return {
        "incident": {k: (v.isoformat() if hasattr(v, "isoformat") else v)
                     for k, v in inc.__dict__.items()
                     if k not in ("cause", "harm", "remedies", "advice", "contact")},
        "affected": {"categories": list(aff.categories), "individuals": aff.individuals,
                     "sensitive_individuals": aff.sensitive_individuals,
                     "minors_under_14": aff.minors_under_14, "notes": list(aff.notes)},
        "clocks": [{"code": c.code, "state": c.state, "text": c.text, "citation": c.citation,
                    "deadline": c.deadline.isoformat() if c.deadline else c.deadline_text,
                    "done_at": c.done_at.isoformat() if c.done_at else None}
                   for c in status.clocks],
        "at": status.at.isoformat(),
        "warnings": list(status.warnings),
    }


@incident_app.command("status")
def status_(
    incident_id: Annotated[int | None, typer.Argument(help="Default: every open incident.")
                           ] = None,
    at: At = None,
    notice: Annotated[Path | None, typer.Option(
        help="Write the PIPL Art. 57 notice draft (Markdown) to this file; - for stdout.")
    ] = None,
    fmt: FormatOpt = Format.table,
    catalogue_url: CatalogueUrl = None,
) -> None:
    """Clocks and warnings at --at. Exit code 1 when a notice is overdue."""
    with catalogue(catalogue_url) as cat:
        ids = [incident_id] if incident_id is not None else [
            i.id for i in incidents.list_incidents(cat, "open")]
        statuses = [incident_status(cat, i, when(at)) for i in ids]
    if notice is not None:
        if len(statuses) != 1:
            raise typer.BadParameter("--notice needs one incident id")
        text = notice_draft(statuses[0])
        if str(notice) == "-":
            typer.echo(text)
        else:
            notice.write_text(text, encoding="utf-8")
            typer.echo(f"wrote {notice}")
    elif fmt is Format.json:
        print_json([_status_json(s) for s in statuses])
    else:
        for s in statuses:
            _print_clocks(s)
        if not statuses:
            typer.echo("no open incident")
    if any(c.state == "overdue" for s in statuses for c in s.clocks):
        raise typer.Exit(1)
