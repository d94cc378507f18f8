"""Options and helpers shared by the records commands (consent, rights, incident, records)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from rich.console import Console

from fenji.catalogue import Catalogue
from fenji.errors import FenjiError, InputError
from fenji.records.db import parse_when
from fenji.records.signing import SIGNING_KEY_ENV, load_private_key
from fenji.records.subjects import Subject, subject_ref

console = Console(soft_wrap=True)  # one line per message; tables keep their width
err_console = Console(stderr=True)

CatalogueUrl = Annotated[
    str | None,
    typer.Option("--catalogue", metavar="URL", show_default=False,
                 help="Catalogue database URL (default: $FENJI_CATALOGUE, else"
                      " sqlite:///~/.local/share/fenji/catalogue.db)."),
]
SigningKey = Annotated[
    Path | None,
    typer.Option("--signing-key", metavar="FILE", envvar=SIGNING_KEY_ENV, show_default=False,
                 help="Ed25519 key file (fenji records keygen): sign a tree head with each log"
                      " entry. Default: $FENJI_SIGNING_KEY."),
]
IdentifierArg = Annotated[
    str,
    typer.Argument(metavar="IDENTIFIER",
                   help="The data subject's identifier (phone, ID number, e-mail ...), or - to"
                        " read it from stdin and keep it out of shell history. Never stored:"
                        " only its keyed hash is."),
]
IdType = Annotated[
    str | None,
    typer.Option("--id-type", metavar="TYPE", show_default=False,
                 help="Info type of the identifier, e.g. CN_MOBILE_PHONE (default: detected)."),
]
At = Annotated[
    str | None,
    typer.Option("--at", metavar="TIME", show_default=False,
                 help="ISO 8601 time, e.g. 2026-03-02T09:30+08:00 (default: now; no offset ="
                      " local time)."),
]


class Format(StrEnum):
    table = "table"
    json = "json"


FormatOpt = Annotated[Format, typer.Option("--format", help="Output format.")]


@contextmanager
def handled() -> Iterator[None]:
    """Any fenji error becomes one line on stderr and exit code 2."""
    try:
        yield
    except FenjiError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None


@contextmanager
def catalogue(url: str | None) -> Iterator[Catalogue]:
    with handled(), Catalogue(url) as cat:
        yield cat


def read_identifier(value: str) -> str:
    """The identifier argument, or a line from stdin for ``-``."""
    if value == "-":
        value = sys.stdin.readline().strip()
    if not value.strip():
        raise InputError("the identifier is empty")
    return value


def subject(value: str, id_type: str | None) -> tuple[str, Subject]:
    """``(raw identifier, Subject)`` from the command line."""
    raw = read_identifier(value)
    return raw, subject_ref(raw, id_type)


def when(text: str | None, what: str = "--at") -> datetime | None:
    return parse_when(text, what)


def key(path: Path | None) -> Ed25519PrivateKey | None:
    return load_private_key(path) if path is not None else None


def stamp(value: datetime | None) -> str:
    """A stored time for display, in UTC."""
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
