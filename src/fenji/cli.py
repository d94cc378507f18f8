"""The ``fenji`` command line: a thin Typer shell over the public functions.

Exit codes: 0 success; 1 a gate failed (``--fail-on``, a policy denial); 2 bad input or a source
that could not be read (the message names it; the other sources are still scanned and reported).
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from fenji import __version__
from fenji.cli_catalogue import app as catalogue_app
from fenji.cli_check import check_command, rules_app
from fenji.cli_compute import compute_app
from fenji.cli_deid import deidentify_command, risk_command
from fenji.cli_exports import exports_app
from fenji.cli_packs import app as packs_app
from fenji.cli_records import consent_app, incident_app, records_app, rights_app
from fenji.cli_redact import redact_command
from fenji.errors import FenjiError, InputError
from fenji.individuals import hmac_key
from fenji.model import ScanResult
from fenji.scan import ScanOptions

app = typer.Typer(
    name="fenji",
    help="Discover, classify and grade personal information (PIPL, DSL, GDPR).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(packs_app, name="packs", help="List, show and validate classification packs.")
app.add_typer(catalogue_app, name="catalogue", help="Browse the scan catalogue.")
app.add_typer(rules_app, name="rules", help="List and explain policy rules.")
app.add_typer(exports_app, name="exports", help="Record performed exports; yearly totals.")
app.add_typer(consent_app, name="consent", help="Consent ledger: record, withdraw, status.")
app.add_typer(rights_app, name="rights", help="Data-subject rights requests.")
app.add_typer(incident_app, name="incident", help="Incidents and their notice clocks.")
app.add_typer(records_app, name="records", help="Tamper-evident record log: verify, prove.")
app.add_typer(compute_app, name="compute", help="Privacy computing: PSI, joint stats, training.")
app.command("check", help="Decide what the law allows for a processing activity.")(check_command)
app.command("deidentify", help="De-identify a table with a profile or --auto.")(
    deidentify_command
)
app.command("redact", help="Redact PI in a text file or stdin (mask, tag or pseudonym).")(
    redact_command
)
app.command("risk", help="Measure re-identification risk (k, l, prosecutor ...).")(risk_command)

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


@app.callback()
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


@app.command("scan")
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
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
