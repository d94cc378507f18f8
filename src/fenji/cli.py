"""The ``fenji`` command line: a thin Typer shell over the public functions.

Exit codes: 0 success; 1 a gate failed (``--fail-on``, a policy denial); 2 bad input or a source
that could not be read (the message names it; the other sources are still scanned and reported).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from enum import StrEnum
from importlib import import_module
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from fenji import __version__
from fenji.errors import FenjiError, InputError
from fenji.individuals import hmac_key
from fenji.model import ScanResult
from fenji.scan import ScanOptions

cli = typer.Typer(
    name="fenji",
    help="Discover, classify and grade personal information (PIPL, DSL, GDPR).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# The other commands, each imported when it is asked for (module, attribute, a group of
# commands or one, help): most pull in libraries `fenji scan` never needs, which made up about
# a third of the command's start-up. ``app`` (and ``--help``) has them all.
COMMANDS: dict[str, tuple[str, str, bool, str]] = {
    "packs": ("fenji.cli_packs", "app", True, "List, show and validate classification packs."),
    "catalogue": ("fenji.cli_catalogue", "app", True, "Browse the scan catalogue."),
    "rules": ("fenji.cli_check", "rules_app", True, "List and explain policy rules."),
    "exports": (
        "fenji.cli_exports", "exports_app", True, "Record performed exports; yearly totals."
    ),
    "consent": (
        "fenji.cli_records", "consent_app", True, "Consent ledger: record, withdraw, status."
    ),
    "rights": ("fenji.cli_records", "rights_app", True, "Data-subject rights requests."),
    "incident": (
        "fenji.cli_records", "incident_app", True, "Incidents and their notice clocks."
    ),
    "records": (
        "fenji.cli_records", "records_app", True, "Tamper-evident record log: verify, prove."
    ),
    "compute": (
        "fenji.cli_compute", "compute_app", True, "Privacy computing: PSI, joint stats, training."
    ),
    "check": (
        "fenji.cli_check", "check_command", False,
        "Decide what the law allows for a processing activity.",
    ),
    "deidentify": (
        "fenji.cli_deid", "deidentify_command", False,
        "De-identify a table with a profile or --auto.",
    ),
    "redact": (
        "fenji.cli_redact", "redact_command", False,
        "Redact PI in a text file or stdin (mask, tag or pseudonym).",
    ),
    "risk": (
        "fenji.cli_deid", "risk_command", False,
        "Measure re-identification risk (k, l, prosecutor ...).",
    ),
}
_added: set[str] = set()


def with_commands(names: Iterable[str]) -> typer.Typer:
    """The command line with the named ``COMMANDS`` added (once each) beside ``scan``."""
    for name in names:
        if name not in _added:
            module, attribute, group, help_text = COMMANDS[name]
            target = getattr(import_module(module), attribute)
            if group:
                cli.add_typer(target, name=name, help=help_text)
            else:
                cli.command(name, help=help_text)(target)
            _added.add(name)
    return cli


def __getattr__(name: str) -> Any:
    if name == "app":  # the whole command line, for tests and programs that embed it
        return with_commands(COMMANDS)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


err_console = Console(stderr=True, soft_wrap=True)  # one error = one line


class Engine(StrEnum):
    local = "local"
    spark = "spark"


class Format(StrEnum):
    table = "table"
    json = "json"
    html = "html"
    sarif = "sarif"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"fenji {__version__}")
        raise typer.Exit()


@cli.callback()
def main_callback(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """fenji (分级): discovery, classification and grading of personal information."""


def _parse_sample(value: str) -> int | None:
    if value.strip().lower() == "all":
        return None
    try:
        n = int(value)
    except ValueError:
        raise InputError(f"--sample: '{value}' is not a number of rows or 'all'") from None
    if n <= 0:
        raise InputError(f"--sample: must be a positive number of rows or 'all', got {n}")
    return n


@cli.command("scan")
def scan_command(
    targets: list[str] = typer.Argument(
        ..., help="Files, directories or database URLs (sqlite:///, postgresql://, mysql+pymysql://)."
    ),
    pack: str = typer.Option("general", "--pack", help="general|financial|automotive|healthcare"),
    catalogue_version: str | None = typer.Option(
        None, "--catalogue-version", help="Sensitive-PI catalogue: gbt35273-2020 or tc260-2024."
    ),
    sample: str | None = typer.Option(
        None, "--sample", help="Rows sampled per table, or 'all' (default: 1000; all on Spark)."
    ),
    seed: int = typer.Option(0, "--seed", help="Sampling seed (deterministic)."),
    include: list[str] = typer.Option([], "--include", help="Glob of files to include."),
    exclude: list[str] = typer.Option([], "--exclude", help="Glob of files to exclude."),
    tables: str | None = typer.Option(None, "--tables", help="Glob of database tables."),
    fmt: Format | None = typer.Option(
        None, "--format", "-f", help="table (default on a terminal), json, html, sarif."
    ),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the report here."),
    catalogue: str | None = typer.Option(
        None, "--catalogue", envvar="FENJI_CATALOGUE", help="Catalogue URL (default: SQLite)."
    ),
    no_catalogue: bool = typer.Option(False, "--no-catalogue", help="Do not record the scan."),
    fail_on: str | None = typer.Option(
        None, "--fail-on", help="Exit 1 when any table is graded at or above this level."
    ),
    no_individuals: bool = typer.Option(
        False, "--no-individuals", help="Skip the full-column pass that counts individuals."
    ),
    quiet: bool = typer.Option(
        False, "--quiet", "-q", help="With --output, do not print the summary table."
    ),
    engine: Engine = typer.Option(
        Engine.local, "--engine", help="local, or spark (pip install 'fenji[spark]')."
    ),
    spark_master: str | None = typer.Option(
        None, "--spark-master", help="Spark master URL (default: Spark's configuration, "
        "else local[*]).",
    ),
) -> None:
    """Discover, classify and grade the personal information in TARGETS."""
    from fenji.cli_scan import (
        check_engine_options,
        emit,
        fail_on_rank,
        record_scan_end,
        record_scan_start,
    )

    try:
        spark = engine is Engine.spark
        check_engine_options(spark, spark_master, include, exclude)
        default_sample = "all" if spark else "1000"
        opts = ScanOptions(
            pack=pack,
            catalogue_version=catalogue_version,
            sample=_parse_sample(sample if sample is not None else default_sample),
            seed=seed,
            include=tuple(include),
            exclude=tuple(exclude),
            tables=tables,
            individuals=not no_individuals,
        )
        threshold = fail_on_rank(pack, catalogue_version, fail_on)
        chosen = fmt or (Format.table if sys.stdout.isatty() and output is None else Format.json)
        store, scan_id = (None, None) if no_catalogue else record_scan_start(catalogue, opts)
        key = hmac_key() if opts.individuals else b""
        try:
            result = _run_with_progress(targets, opts, key, spark, spark_master)
        except KeyboardInterrupt:
            if store is not None and scan_id is not None:
                store.mark_interrupted(scan_id)
            err_console.print("[red]interrupted: no report written, scan not marked complete[/]")
            raise typer.Exit(130) from None
        if store is not None and scan_id is not None:
            record_scan_end(store, scan_id, result, key)
        emit(result, chosen.value, output)
        if output is not None and chosen is not Format.table and not quiet:
            emit(result, "table", None)
            err_console.print(f"report written to {output}", highlight=False)
    except FenjiError as exc:
        err_console.print(f"[red]error:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(exc.exit_code) from None
    errors = [e for s in result.sources for e in s.errors]
    for e in errors:
        err_console.print(f"[red]error:[/] {escape(e)}", highlight=False)
    if errors:
        raise typer.Exit(2)
    if threshold is not None and any(
        t.grade is not None and t.grade.rank >= threshold for s in result.sources for t in s.tables
    ):
        err_console.print(f"[yellow]--fail-on {fail_on}: a table is graded at or above it[/]")
        raise typer.Exit(1)


def _run_with_progress(
    targets: list[str], opts: ScanOptions, key: bytes, spark: bool, master: str | None
) -> ScanResult:
    from fenji.cli_scan import engine_runner

    run = engine_runner(spark, master)
    if not err_console.is_terminal:
        return run(targets, opts, key, _quiet_hook, _quiet_hook)
    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed} tables"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as progress:
        task = progress.add_task("scanning", total=None)

        def start(source: str, table: str) -> None:
            progress.update(task, description=escape(f"{Path(source).name} › {table}"))

        def done(_source: str, _table: str) -> None:
            progress.advance(task)

        return run(targets, opts, key, start, done)


def _quiet_hook(_source: str, _table: str) -> None:
    return None


def main() -> None:
    """Console-script entry point: adds only the command asked for (all of them for help or a
    name that is none of them, so that the message can list them)."""
    args = sys.argv[1:]
    words = [arg for arg in args if not arg.startswith("-")]
    first = words[0] if words else None
    if first in COMMANDS:
        names: Iterable[str] = [first]
    elif first == "scan" or (first is None and "--version" in args):
        names = []
    else:
        names = COMMANDS
    with_commands(names)()


if __name__ == "__main__":
    main()
