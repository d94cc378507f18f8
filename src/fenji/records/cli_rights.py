"""``fenji rights open|list|show|run|close``: data subjects' requests, and acting on them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from fenji.errors import InputError, choices
from fenji.records import execute, rights
from fenji.records.cli_common import (
    At,
    CatalogueUrl,
    Format,
    FormatOpt,
    IdentifierArg,
    IdType,
    SigningKey,
    catalogue,
    console,
    key,
    print_json,
    read_identifier,
    stamp,
    subject,
    when,
)
from fenji.records.config import section
from fenji.records.db import now
from fenji.records.sqlmatch import Identifier
from fenji.records.subject_map import load_subject_map, parse_subject_map
from fenji.records.subjects import subject_ref

rights_app = typer.Typer(
    name="rights", help="Rights requests: open, list overdue, show, run on databases, close.",
    no_args_is_help=True, add_completion=False,
)


@rights_app.command("open")
def open_(
    identifier: IdentifierArg,
    kind: Annotated[str, typer.Option(help="access (copy), portability, correction, deletion,"
                                           " explanation or restriction.")],
    received: Annotated[str | None, typer.Option(
        metavar="TIME", help="When the request arrived (default: now).")] = None,
    regime: Annotated[list[str] | None, typer.Option(
        help="pipl (30 days) and/or gdpr (one month); the earliest due date wins.")] = None,
    deceased: Annotated[bool, typer.Option(
        help="The subject has died; a close relative asks (PIPL Art. 49).")] = False,
    relation: Annotated[str | None, typer.Option(
        help="Requester's relation to the deceased: spouse, parent, child, sibling,"
             " grandparent, grandchild.")] = None,
    arrangements: Annotated[str | None, typer.Option(
        help="The deceased's own arrangements: none, allows, forbids.")] = None,
    arrangements_note: Annotated[str | None, typer.Option(help="Where they are recorded.")] = None,
    note: Annotated[str | None, typer.Option(help="Free note (keep PI out of it).")] = None,
    requester: Annotated[str, typer.Option(help="subject, relative or agent.")] = "subject",
    id_type: IdType = None,
    catalogue_url: CatalogueUrl = None,
    signing_key: SigningKey = None,
) -> None:
    """Record a request; prints its id and due date."""
    with catalogue(catalogue_url) as cat:
        _, subj = subject(identifier, id_type)
        req = rights.open_request(
            cat, subj, kind, received_at=when(received, "--received"), regimes=regime,
            requester=requester,
            deceased=deceased, relation=relation, arrangements=arrangements,
            arrangements_note=arrangements_note, note=note, signing_key=key(signing_key))
    typer.echo(f"request {req.id} opened: {req.kind}, due {stamp(req.due_at)}"
               f" ({'; '.join(req.citations)})")
    if req.must_refuse:
        typer.echo("the deceased arranged otherwise: refuse it with a reason (PIPL Art. 49-50)")


def _row(req: rights.RightsRequest) -> dict[str, object]:
    return {"id": req.id, "kind": req.kind, "status": req.status, "subject": req.subject,
            "received_at": req.received_at.isoformat(), "due_at": req.due_at.isoformat(),
            "overdue": req.overdue(), "regimes": list(req.regimes), "requester": req.requester,
            "deceased": req.deceased, "relation": req.relation,
            "arrangements": req.arrangements, "closed_at": req.closed_at.isoformat()
            if req.closed_at else None, "reason": req.reason, "result": req.result,
            "citations": list(req.citations)}


@rights_app.command("list")
def list_(
    overdue: Annotated[bool, typer.Option(help="Only open requests past their due date.")] = False,
    status: Annotated[str | None, typer.Option(help="open, done or refused.")] = None,
    at: At = None,
    fmt: FormatOpt = Format.table,
    catalogue_url: CatalogueUrl = None,
) -> None:
    """List requests, soonest due first. With --overdue, exit code 1 when any is overdue."""
    t = when(at) or now()
    with catalogue(catalogue_url) as cat:
        reqs = rights.list_requests(cat, status=status, overdue_at=t if overdue else None)
    if fmt is Format.json:
        print_json([_row(r) for r in reqs])
    else:
        table = Table(title="rights requests" + (" overdue" if overdue else ""),
                      title_justify="left")
        for head in ("id", "kind", "status", "received", "due", "requester"):
            table.add_column(head)
        for r in reqs:
            due = f"[red]{stamp(r.due_at)}[/red]" if r.overdue(t) else stamp(r.due_at)
            who = f"{r.requester} ({r.relation})" if r.relation else r.requester
            table.add_row(str(r.id), r.kind, r.status, stamp(r.received_at), due, who)
        console.print(table)
    if overdue and reqs:
        raise typer.Exit(1)


@rights_app.command("show")
def show(request_id: int, fmt: FormatOpt = Format.table,
         catalogue_url: CatalogueUrl = None) -> None:
    """One request with its due date, citations and the result of each step."""
    with catalogue(catalogue_url) as cat:
        req = rights.get_request(cat, request_id)
    data = _row(req)
    if fmt is Format.json:
        print_json(data)
        return
    for k, v in data.items():
        if v not in (None, [], False) or k in ("overdue", "deceased"):
            console.print(f"[bold]{k}[/bold]: {v}", highlight=False)


def _identifiers(raw: str, id_type: str | None, also: list[str]) -> list[Identifier]:
    idents = [Identifier(subject_ref(raw, id_type).type, raw)]
    for item in also:
        t, sep, value = item.partition("=")
        if not sep or not value:
            raise InputError("--also takes TYPE=VALUE, e.g. EMAIL_ADDRESS=… (or TYPE=- for"
                             " stdin)")
        value = read_identifier(value)
        subject_ref(value, t)  # validates
        idents.append(Identifier(t, value))
    return idents


def _print_counts(result: execute.RunResult, title: str) -> None:
    table = Table(title=title, title_justify="left")
    for head in ("database", "table", "rows", "action", "matched by", "note"):
        table.add_column(head, overflow="fold")
    for c in result.tables:
        table.add_row(c.database, c.table, str(c.rows), c.action, ", ".join(c.matched_by),
                      c.note)
    console.print(table)


@rights_app.command("run")
def run(
    request_id: int,
    identifier: IdentifierArg,
    subject_map: Annotated[Path, typer.Option(
        "--map", help="Subject map YAML: where the subject's rows live (docs/records.md).")],
    also: Annotated[list[str] | None, typer.Option(
        metavar="TYPE=VALUE", help="Another identifier of the same subject; repeat.")] = None,
    out: Annotated[Path, typer.Option(help="Where access packages are written.")] = Path("."),
    dry_run: Annotated[bool, typer.Option(help="Only count rows per table.")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask before deleting.")] = False,
    id_type: IdType = None,
    catalogue_url: CatalogueUrl = None,
    signing_key: SigningKey = None,
) -> None:
    """Act on an open request: access/portability write an export package (JSON + CSV per
    table); deletion deletes, masks or keeps rows per the map, after showing the counts."""
    runnable = section("rights")["runnable"]
    with catalogue(catalogue_url) as cat:
        req = rights.get_request(cat, request_id)
        raw = read_identifier(identifier)
        if subject_ref(raw, id_type or req.subject_type).hash != req.subject:
            raise InputError(f"the identifier given is not the subject of request {request_id}")
        if req.status != "open":
            raise InputError(f"request {request_id} is {req.status}; only open requests run")
        if req.kind not in runnable:
            raise InputError(f"request {request_id} is a {req.kind} request; run handles"
                             f" {choices(runnable)} (record the others with close)")
        if req.must_refuse:
            raise InputError(f"request {request_id}: the deceased arranged otherwise"
                             " (PIPL Art. 49); close it with --outcome refused and a reason")
        idents = _identifiers(raw, id_type or req.subject_type, also or [])
        smap = load_subject_map(subject_map)
        sk = key(signing_key)
        if runnable[req.kind] == "export" and not dry_run:
            name = f"request-{request_id}"
            result = execute.export(smap, idents, out, name,
                                    meta={"request": request_id, "kind": req.kind})
            _print_counts(result, f"request {request_id}: export package {result.package}")
            rights.record_result(cat, request_id, "export", {
                "package": name, "tables": [c.to_dict() for c in result.tables]},
                signing_key=sk)
            return
        counts = execute.erase(smap, idents, dry_run=True)
        action = runnable[req.kind]
        if action == "export":  # the same row counts; the action is the export
            counts = replace(counts, tables=tuple(
                replace(c, action="export" if c.action != "none" else "none", note="")
                for c in counts.tables))
        _print_counts(counts, f"request {request_id}: {action} plan (dry run, nothing changed)")
        if dry_run:
            rights.record_result(cat, request_id, "dry_run", {
                "tables": [c.to_dict() for c in counts.tables]}, signing_key=sk)
            return
        if not yes and not typer.confirm(f"apply to {counts.rows} rows?"):
            raise typer.Exit(1)
        result = execute.erase(smap, idents)
        _print_counts(result, f"request {request_id}: done")
        rights.record_result(cat, request_id, "erase", {
            "tables": [c.to_dict() for c in result.tables]}, signing_key=sk)


@rights_app.command("close")
def close(
    request_id: int,
    outcome: Annotated[str, typer.Option(help="done or refused.")],
    reason: Annotated[str | None, typer.Option(help="Why (required to refuse, PIPL Art. 50).")
                      ] = None,
    at: At = None,
    catalogue_url: CatalogueUrl = None,
    signing_key: SigningKey = None,
) -> None:
    """Close a request as done or refused."""
    with catalogue(catalogue_url) as cat:
        req = rights.close_request(cat, request_id, outcome, reason=reason, at=when(at),
                                   signing_key=key(signing_key))
    late = " (late)" if req.closed_at and req.closed_at > req.due_at else ""
    typer.echo(f"request {req.id} {req.status} at {stamp(req.closed_at)}{late}")



@rights_app.command("map")
def map_(
    db_url: Annotated[str, typer.Argument(metavar="DB_URL", help="The database, as scanned.")],
    out: Annotated[Path, typer.Option(help="Subject map file to write (YAML).")],
    name: Annotated[str, typer.Option(help="Name of the database in the map.")] = "db",
    on_delete: Annotated[str, typer.Option(help="delete, mask or keep, for every table (edit"
                                                " the file to differ per table).")] = "delete",
    catalogue_url: CatalogueUrl = None,
) -> None:
    """Draft a subject map from the catalogue's newest scan of DB_URL and the database's
    foreign keys. Review it before running deletions with it."""
    import yaml

    from fenji.records.map_catalogue import draft_subject_map

    with catalogue(catalogue_url) as cat:
        if out.exists():
            raise InputError(f"{out} exists; refusing to overwrite a subject map")
        data, notes = draft_subject_map(cat, db_url, name=name, on_delete=on_delete)
        parse_subject_map(data, "drafted map")  # validated like a file would be
        out.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                       encoding="utf-8")
    typer.echo(f"wrote {out}")
    for n in notes:
        typer.echo(f"note: {n}")

