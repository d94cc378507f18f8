"""``fenji records keygen|sign|head|verify|prove|check-proof|log|pia|export``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from fenji.errors import InputError
from fenji.records import log, ropa, signing
from fenji.records.cli_common import (
    At,
    CatalogueUrl,
    Format,
    FormatOpt,
    SigningKey,
    catalogue,
    console,
    handled,
    key,
    print_json,
    stamp,
    when,
)
from fenji.records.verify import prove, verify, verify_proof

records_app = typer.Typer(
    name="records", help="The tamper-evident record log, signed tree heads, ROPA and PIAs.",
    no_args_is_help=True, add_completion=False,
)

PublicKey = Annotated[Path | None, typer.Option(
    "--public-key", metavar="FILE", show_default=False,
    help="Public key (KEY.pub) or the private key file itself, to check head signatures.")]


def _public(path: Path | None, signing_key: Path | None = None) -> Any:
    chosen = path or signing_key
    return signing.load_public_key(chosen) if chosen is not None else None


@records_app.command("keygen")
def keygen(
    path: Annotated[Path, typer.Argument(help="Private key file to create (0600); the public"
                                              " key goes to PATH.pub.")],
    force: Annotated[bool, typer.Option(help="Replace an existing key file.")] = False,
) -> None:
    """Create an Ed25519 key pair for signing tree heads."""
    with handled():
        kid = signing.generate_key(path, overwrite=force)
    typer.echo(f"key {kid}: private {path}, public {signing.public_path(path)}")


@records_app.command("sign")
def sign(
    signing_key: SigningKey = None,
    new_key: Annotated[bool, typer.Option(help="Allow a key other than the last head's.")
                       ] = False,
    catalogue_url: CatalogueUrl = None,
) -> None:
    """Sign a tree head over the whole log now."""
    with catalogue(catalogue_url) as cat:
        private = key(signing_key)
        if private is None:
            raise InputError("--signing-key: give the key file (or set FENJI_SIGNING_KEY)")
        head = log.sign_head(cat, private, allow_new_key=new_key)
    typer.echo(f"tree head #{head.id}: size {head.size}, root {head.root_hash}, key {head.key_id}")


@records_app.command("head")
def head(
    output: Annotated[Path | None, typer.Option(
        help="Also write it here, to keep outside the catalogue (verify --trusted-head).")
    ] = None,
    catalogue_url: CatalogueUrl = None,
) -> None:
    """Print the newest signed tree head (JSON)."""
    with catalogue(catalogue_url) as cat:
        latest = log.latest_head(cat)
        if latest is None:
            raise InputError("no signed tree head yet (fenji records sign --signing-key FILE)")
    print_json(latest.to_dict())
    if output is not None:
        output.write_text(json.dumps(latest.to_dict(), indent=2) + "\n", encoding="utf-8")


@records_app.command("verify")
def verify_(
    public_key: PublicKey = None,
    signing_key: SigningKey = None,
    trusted_head: Annotated[Path | None, typer.Option(
        help="A head kept outside the catalogue (fenji records head --output).")] = None,
    fmt: FormatOpt = Format.table,
    catalogue_url: CatalogueUrl = None,
) -> None:
    """Check every entry, the hash chain and every signed head. Exit code 1 on any problem."""
    with catalogue(catalogue_url) as cat:
        trusted = _read_json(trusted_head) if trusted_head else None
        report = verify(cat, _public(public_key, signing_key), trusted)
    if fmt is Format.json:
        print_json({"ok": report.ok, "entries": report.entries, "heads": report.heads,
                    "heads_checked": report.heads_checked, "notes": list(report.notes),
                    "problems": [p.__dict__ for p in report.problems]})
    else:
        for p in report.problems:
            where = f"entry {p.entry}" if p.entry is not None else "log"
            console.print(f"[red]FAIL[/red] {where} ({p.kind}): {p.message}", highlight=False)
        for n in report.notes:
            console.print(f"note: {n}", highlight=False)
        if report.ok:
            console.print(f"[green]OK[/green]: {report.entries} entries, {report.heads} signed"
                          f" heads ({report.heads_checked} signatures checked)", highlight=False)
    if not report.ok:
        raise typer.Exit(1)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read JSON ({exc})") from None


@records_app.command("prove")
def prove_(
    entry: Annotated[int, typer.Argument(help="Entry number (1 = first).")],
    size: Annotated[int | None, typer.Option(help="Tree size of the head to prove against"
                                                  " (default: newest head covering it).")
                    ] = None,
    public_key: PublicKey = None,
    output: Annotated[Path | None, typer.Option(help="Also write the proof here.")] = None,
    catalogue_url: CatalogueUrl = None,
) -> None:
    """Print an RFC 9162 inclusion proof of ENTRY, and check it. Exit code 1 if it fails."""
    with catalogue(catalogue_url) as cat:
        doc = prove(cat, entry, size)
        problem = verify_proof(doc, _public(public_key))
    print_json(doc)
    if output is not None:
        output.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    _proof_verdict(doc, problem, public_key is not None)


def _proof_verdict(doc: dict[str, Any], problem: str | None, signed: bool) -> None:
    if problem:
        console.print(f"[red]proof FAILS[/red]: {problem}", highlight=False)
        raise typer.Exit(1)
    what = "signed head" if doc.get("head") and signed else "root"
    console.print(f"[green]proof verified[/green]: entry {doc['entry']} is in the tree of size"
                  f" {doc['tree_size']} ({what} {doc['root_hash'][:16]}…)", highlight=False)


@records_app.command("check-proof")
def check_proof(
    proof: Annotated[Path, typer.Argument(help="A proof written by prove --output.")],
    public_key: PublicKey = None,
) -> None:
    """Check a saved proof without the catalogue. Exit code 1 if it fails."""
    with handled():
        doc = _read_json(proof)
        problem = verify_proof(doc, _public(public_key))
    _proof_verdict(doc, problem, public_key is not None)


@records_app.command("log")
def log_(
    kind: Annotated[str | None, typer.Option(help="Only kinds starting with this.")] = None,
    limit: Annotated[int | None, typer.Option(help="Only the newest N.")] = None,
    fmt: FormatOpt = Format.table,
    catalogue_url: CatalogueUrl = None,
) -> None:
    """List log entries (payloads hold keyed hashes and counts, never raw PI)."""
    with catalogue(catalogue_url) as cat:
        items = log.entries(cat, kind)
    items = items[-limit:] if limit else items
    if fmt is Format.json:
        print_json([{"entry": e.seq, "time": log.iso(e.recorded_at), "kind": e.kind,
                     "payload": dict(e.payload), "leaf_hash": e.leaf_hash} for e in items])
        return
    table = Table(title="record log", title_justify="left")
    for h in ("entry", "time", "kind", "payload"):
        table.add_column(h, overflow="fold")
    for e in items:
        table.add_row(str(e.seq), stamp(e.recorded_at), e.kind,
                      json.dumps(dict(e.payload), ensure_ascii=False))
    console.print(table)


@records_app.command("pia")
def pia(
    activity: Annotated[str, typer.Argument(help="The processing activity assessed.")],
    trigger: Annotated[list[str], typer.Option(
        help="Why it was needed: sensitive, automated_decision, entrust, share, publish,"
             " export, other; repeat.")],
    conclusion: Annotated[str, typer.Option(help="The assessment's conclusion.")],
    purpose: Annotated[str | None, typer.Option()] = None,
    report: Annotated[str | None, typer.Option(help="Where the report is kept.")] = None,
    at: At = None,
    catalogue_url: CatalogueUrl = None,
    signing_key: SigningKey = None,
) -> None:
    """Register a PI protection impact assessment (PIPL Art. 55-56; kept 3 years)."""
    with catalogue(catalogue_url) as cat:
        rec = ropa.record_pia(cat, activity, triggers=trigger, conclusion=conclusion,
                              assessed_at=when(at), purpose=purpose, report=report,
                              signing_key=key(signing_key))
    typer.echo(f"PIA #{rec.id} registered for {rec.activity!r}; keep until"
               f" {stamp(rec.keep_until)}")


@records_app.command("export")
def export(
    out: Annotated[Path, typer.Option(help="Directory to write into.")] = Path("."),
    fmt: Annotated[str, typer.Option("--format", help="json or csv.")] = "json",
    at: At = None,
    catalogue_url: CatalogueUrl = None,
) -> None:
    """Write the record of processing activities and the PIA register."""
    with catalogue(catalogue_url) as cat:
        register = ropa.build_register(cat, when(at))
        paths = ropa.write_register(register, out, fmt)
    for p in paths:
        typer.echo(f"wrote {p}")
