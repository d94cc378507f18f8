"""``fenji consent record|withdraw|status``: the consent ledger from the command line."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from fenji.errors import InputError
from fenji.records import consent as api
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
    stamp,
    subject,
    when,
)
from fenji.records.config import section
from fenji.records.db import now
from fenji.records.subjects import reference_hash, younger_than

consent_app = typer.Typer(
    name="consent", help="Record, withdraw and check consent (PIPL Art. 14-15, 29, 31).",
    no_args_is_help=True, add_completion=False,
)

Purpose = Annotated[str, typer.Option("--purpose", help="Purpose of processing, as notified.")]


@consent_app.command("record")
def record(
    identifier: IdentifierArg,
    purpose: Purpose,
    category: Annotated[list[str], typer.Option(
        "--category", "-c", help="PI category (info-type id), e.g. CN_MOBILE_PHONE; repeat.")],
    notice_version: Annotated[str, typer.Option(help="Version of the privacy notice shown.")],
    channel: Annotated[str, typer.Option(help="Where consent was given: app, web, paper ...")],
    kind: Annotated[str, typer.Option(
        help="general, separate, written or guardian.")] = "general",
    use: Annotated[list[str] | None, typer.Option(
        "--use", help="provide, export or publish (each needs separate consent); repeat.")] = None,
    guardian: Annotated[str | None, typer.Option(
        help="Guardian's reference (ID or file number; stored as a keyed hash).")] = None,
    minor: Annotated[bool | None, typer.Option(
        "--minor/--adult", help="Subject is under 14 (default: from a resident ID, else"
                                " unknown).", show_default=False)] = None,
    at: At = None,
    id_type: IdType = None,
    catalogue_url: CatalogueUrl = None,
    signing_key: SigningKey = None,
) -> None:
    """Record a consent given (a new purpose is always a new record, PIPL Art. 14)."""
    with catalogue(catalogue_url) as cat:
        raw, subj = subject(identifier, id_type)
        given = when(at)
        if minor is None:  # a resident ID number tells the age; other identifiers do not
            minor = younger_than(raw, subj.type, given or now(), section("consent")["guardian_age"])
        rec = api.record_consent(
            cat, subj, purpose, category, kind, notice_version=notice_version, channel=channel,
            given_at=given, uses=use or (), under_14=minor,
            guardian=reference_hash(guardian) if guardian else None, signing_key=key(signing_key),
        )
    typer.echo(f"consent #{rec.id} recorded: {rec.kind}, purpose {rec.purpose!r},"
               f" {', '.join(rec.categories)}, given {stamp(rec.given_at)}")


@consent_app.command("withdraw")
def withdraw(
    identifier: IdentifierArg,
    purpose: Purpose,
    channel: Annotated[str, typer.Option(help="Where it was withdrawn.")] = "",
    at: At = None,
    id_type: IdType = None,
    catalogue_url: CatalogueUrl = None,
    signing_key: SigningKey = None,
) -> None:
    """Withdraw consent for a purpose; processing before it stays lawful (PIPL Art. 15)."""
    with catalogue(catalogue_url) as cat:
        _, subj = subject(identifier, id_type)
        recs = api.withdraw_consent(cat, subj, purpose, at=when(at), channel=channel,
                                    signing_key=key(signing_key))
    ids = ", ".join(f"#{r.id}" for r in recs)
    typer.echo(f"withdrawn: consent {ids} for {recs[0].purpose!r} from"
               f" {stamp(recs[0].withdrawn_at)}")


@consent_app.command("status")
def status(
    identifier: IdentifierArg,
    purpose: Annotated[str | None, typer.Option(help="Ask about this purpose ...")] = None,
    category: Annotated[str | None, typer.Option(help="... and this PI category.")] = None,
    at: At = None,
    id_type: IdType = None,
    fmt: FormatOpt = Format.table,
    catalogue_url: CatalogueUrl = None,
) -> None:
    """May PURPOSE use CATEGORY of this subject at --at? Without them: the consent history.

    Exit code 1 when the answer is no.
    """
    with catalogue(catalogue_url) as cat:
        _, subj = subject(identifier, id_type)
        if purpose is not None or category is not None:
            if not (purpose and category):
                raise InputError("give both --purpose and --category")
            answer = api.consent_status(cat, subj, purpose, category, when(at))
            if fmt is Format.json:
                print_json({"allowed": answer.allowed, "purpose": answer.purpose,
                             "category": answer.category, "at": answer.at.isoformat(),
                             "reason": answer.reason, "citations": list(answer.citations),
                             "consent": answer.consent_id})
            else:
                verdict = "[green]yes[/green]" if answer.allowed else "[red]no[/red]"
                cites = f" ({'; '.join(answer.citations)})" if answer.citations else ""
                console.print(f"{verdict}: {answer.reason}{cites}", highlight=False)
            raise typer.Exit(0 if answer.allowed else 1)
        history = api.consent_history(cat, subj)
    if fmt is Format.json:
        print_json([{**r.__dict__, "given_at": r.given_at.isoformat(),
                     "withdrawn_at": r.withdrawn_at.isoformat() if r.withdrawn_at else None}
                    for r in history])
        return
    table = Table(title=f"consents of subject {subj.hash[:12]}… ({subj.type})",
                  title_justify="left")
    for head in ("#", "purpose", "categories", "kind", "given", "withdrawn", "notice", "channel"):
        table.add_column(head, overflow="fold")
    for r in history:
        table.add_row(str(r.id), r.purpose, ", ".join(r.categories), r.kind, stamp(r.given_at),
                      stamp(r.withdrawn_at), r.notice_version, r.channel)
    console.print(table)

