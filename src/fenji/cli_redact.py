"""``fenji redact``: replace the personal information in a text file or stream.

Register with ``app.command("redact", help=...)(redact_command)``. Bad input ends with a one-line
message on stderr and exit code 2; the input is never written, and an output file appears only
when complete.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from fenji.deid.keys import load_key
from fenji.detect.recognizer import load_recognizers
from fenji.errors import FenjiError
from fenji.packs import load_pack
from fenji.text.documents import context_for
from fenji.text.redact import (
    RedactMode,
    RedactStats,
    check_output,
    redact_file,
    redact_into,
    redact_stream,
    write_atomically,
)


def _summary(stats: RedactStats, where: str) -> str:
    kinds = ", ".join(f"{t} {n}" for t, n in stats.counts.items()) or "nothing found"
    return f"{where}: {stats.total} span(s) redacted ({kinds}); {stats.chars:,} characters"


def redact_command(
    input: str = typer.Argument(..., help="Text file to redact, or - for standard input."),
    output: str | None = typer.Option(
        None, "--output", "-o", help="Where to write (default or -: standard output)."
    ),
    mode: RedactMode = typer.Option(
        RedactMode.mask, "--mode", help="mask (138****8000), tag ([CN_MOBILE_PHONE]) or pseudonym."
    ),
    key_file: Path | None = typer.Option(
        None, "--key-file", help="Secret key for --mode pseudonym (else FENJI_KEY)."
    ),
    pack: str = typer.Option("general", "--pack", help="general|financial|automotive|healthcare"),
    no_names: bool = typer.Option(
        False, "--no-names", help="Skip names and addresses (identifiers only; much faster)."
    ),
    force: bool = typer.Option(False, "--force", help="Replace OUTPUT if it exists."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No summary on stderr."),
) -> None:
    """Replace each span of personal information in INPUT; keep every other byte as it was."""
    to_stdout = output in (None, "-")
    try:
        key = load_key(key_file, required=mode is RedactMode.pseudonym)
        p = load_pack(pack)
        rs = load_recognizers(p.recognizers_path)
        ctx = context_for(p, rs)
        names = not no_names
        stdin = sys.stdin.buffer
        if input == "-" and to_stdout:
            stats = redact_stream(stdin, sys.stdout.buffer, mode, key, rs, ctx, names=names)
        elif input == "-":
            target = Path(str(output))
            check_output(target, None, force)
            stats = write_atomically(
                target,
                lambda out: redact_stream(stdin, out, mode, key, rs, ctx, names=names),
                "<stdin>",
            )
        elif to_stdout:
            stats = redact_into(Path(input), sys.stdout.buffer, mode, key, rs, ctx, names=names)
        else:
            stats = redact_file(
                Path(input), Path(str(output)), mode, key, rs, ctx, names=names, force=force
            )
    except FenjiError as exc:
        typer.echo(f"fenji: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None
    if not quiet:
        typer.echo(_summary(stats, "<stdin>" if input == "-" else input), err=True)
