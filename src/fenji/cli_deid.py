"""``fenji deidentify`` and ``fenji risk``: Typer commands over ``fenji.deid``.

Bad input ends with a one-line message on stderr and exit code 2; nothing is written then.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import polars as pl
import typer
from rich.console import Console
from rich.markup import escape

from fenji.deid.effect import DEFAULT_SCENARIO, SCENARIOS, scenario_threshold
from fenji.deid.engine import deidentify, output_roles
from fenji.deid.io import (
    file_format,
    is_url,
    output_path,
    read_table,
    safe_url,
    write_db,
    write_file,
)
from fenji.deid.kanon import KResult, levels_of, search_k
from fenji.deid.keys import load_key
from fenji.deid.profile import Profile, auto_profile, load_profile, save_profile
from fenji.deid.report import deid_report, print_deid, print_risk
from fenji.deid.risk import measure_risk
from fenji.errors import FenjiError, InputError, SourceError, choices
from fenji.model import ColumnProfile

FORMATS = ("table", "json")
_SAMPLE_ROWS = 20_000  # rows --auto looks at to choose generalisation ladders


@contextmanager
def _clean_exit() -> Iterator[None]:
    """Turn a FenjiError into one line on stderr and exit code 2 (never a traceback)."""
    try:
        yield
    except FenjiError as exc:
        typer.echo(f"fenji: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None


@contextmanager
def _status(message: str) -> Iterator[Callable[[str], None]]:
    """A Rich status line on stderr when it is a terminal; a no-op callback otherwise."""
    console = Console(stderr=True)
    if not console.is_terminal:
        yield lambda _msg: None
        return
    # Escaped: messages name files, and "[...]" in a file name is not Rich markup.
    with console.status(escape(message)) as status:
        yield lambda msg: status.update(escape(msg))


def _names(value: str | None, option: str) -> tuple[str, ...]:
    if value is None:
        return ()
    names = tuple(n.strip() for n in value.split(",") if n.strip())
    if not names:
        raise InputError(f"{option}: give column names separated by commas")
    return names


def _check_choice(value: str, valid: Sequence[str], option: str) -> None:
    if value not in valid:
        raise InputError(f"{option} {value!r} is unknown; valid: {choices(valid)}")


def _scan_columns(target: str, table: str | None) -> tuple[ColumnProfile, ...] | None:
    """Column profiles from fenji's scanner, or None when the scanner is not available."""
    try:
        from fenji.scan import ScanOptions, scan
    except ImportError:
        return None
    result = scan([target], ScanOptions(individuals=False, tables=table), key=b"")
    for source in result.sources:
        if source.errors and not source.tables:
            raise SourceError(source.errors[0])
        for found in source.tables:
            if table is None or found.name == table:
                return found.columns
    raise SourceError(f"{safe_url(target) if is_url(target) else target}: the scan found no table")


def _roles(
    frame: pl.DataFrame,
    scanned: Sequence[ColumnProfile] | None,
    direct: Sequence[str],
    quasi: Sequence[str],
    sensitive: Sequence[str],
) -> tuple[ColumnProfile, ...]:
    """Scan results with roles overridden by --direct/--quasi/--sensitive."""
    declared = {**dict.fromkeys(direct, "direct"), **dict.fromkeys(quasi, "quasi")}
    declared |= dict.fromkeys(sensitive, "sensitive")
    missing = [c for c in declared if c not in frame.columns]
    if missing:
        raise InputError(
            f"column(s) {', '.join(map(repr, missing))} not in the input; "
            f"columns: {choices(frame.columns)}"
        )
    by_name = {c.name: c for c in scanned or ()}
    out = []
    for name in frame.columns:
        base = by_name.get(name) or ColumnProfile(name, str(frame[name].dtype), 0)
        if name in declared:
            base = ColumnProfile(
                base.name,
                base.dtype,
                base.non_empty,
                base.info_types,
                base.category,
                declared[name] == "sensitive" or base.sensitive,
                declared[name],
                base.grade,
            )
        out.append(base)
    return tuple(out)


def deidentify_command(
    input: str = typer.Argument(..., help="File (csv, tsv, parquet, jsonl) or database URL."),
    table: str | None = typer.Option(None, "--table", help="Table to read from a database URL."),
    profile_path: Path | None = typer.Option(None, "--profile", help="Apply this YAML profile."),
    auto: bool = typer.Option(False, "--auto", help="Build a profile from a scan, save, apply."),
    save_to: Path | None = typer.Option(
        None, "--save-profile", help="Save the profile used (with --k's choices) here."
    ),
    profile_only: bool = typer.Option(False, "--profile-only", help="With --auto: only save."),
    k: int | None = typer.Option(None, "--k", help="Generalise quasi-identifiers to reach k."),
    max_suppression: float = typer.Option(
        0.05, "--max-suppression", help="Largest share of records k-anonymity may drop."
    ),
    direct: str | None = typer.Option(None, "--direct", help="Direct identifiers: a,b."),
    quasi: str | None = typer.Option(None, "--quasi", help="Quasi-identifiers: a,b."),
    sensitive: str | None = typer.Option(None, "--sensitive", help="Sensitive attributes: a,b."),
    scenario: str = typer.Option(
        DEFAULT_SCENARIO, "--scenario", help="Sharing scenario: public, agreement, enclave."
    ),
    key_file: Path | None = typer.Option(
        None, "--key-file", help="Secret key file (else env FENJI_KEY)."
    ),
    output: str | None = typer.Option(None, "--output", "-o", help="Output file or DB URL."),
    output_table: str | None = typer.Option(None, "--output-table", help="New table to create."),
    force: bool = typer.Option(False, "--force", help="Replace an existing output file."),
    fmt: str = typer.Option("table", "--format", help="Report format: table or json."),
) -> None:
    """De-identify a table with a profile (--profile) or one built from a scan (--auto)."""
    with _clean_exit():
        _deidentify(
            input, table, profile_path, auto, save_to, profile_only, k, max_suppression,
            _names(direct, "--direct"), _names(quasi, "--quasi"),
            _names(sensitive, "--sensitive"), scenario, key_file, output, output_table, force,
            fmt,
        )  # fmt: skip


def _deidentify(
    target: str,
    table: str | None,
    profile_path: Path | None,
    auto: bool,
    save_to: Path | None,
    profile_only: bool,
    k: int | None,
    max_suppression: float,
    direct: tuple[str, ...],
    quasi: tuple[str, ...],
    sensitive: tuple[str, ...],
    scenario: str,
    key_file: Path | None,
    output: str | None,
    output_table: str | None,
    force: bool,
    fmt: str,
) -> None:
    _check_choice(fmt, FORMATS, "--format")
    _check_choice(scenario, tuple(SCENARIOS), "--scenario")
    if auto == (profile_path is not None):
        raise InputError("give exactly one of --profile P.yaml or --auto")
    if profile_only and not auto:
        raise InputError("--profile-only goes with --auto")
    if k is not None and k < 2:
        raise InputError(f"--k must be at least 2 (got {k})")
    if not 0 <= max_suppression < 1:
        raise InputError(f"--max-suppression must be in [0, 1) (got {max_suppression})")
    destination = _destination(target, table, output, output_table, force)
    review = save_to or (_profile_path(destination) if auto else None)
    if review is not None and not is_url(target) and review.resolve() == Path(target).resolve():
        raise InputError(f"--save-profile {review} is the input file; fenji never overwrites it")
    if review is not None and review.exists() and not force:
        raise InputError(f"profile {review} already exists; choose --save-profile or pass --force")
    profile = load_profile(profile_path) if profile_path else None
    key = load_key(key_file, required=False)
    with _status(f"reading {safe_url(target) if is_url(target) else target}") as progress:
        frame = read_table(target, table)
        search: KResult | None = None
        if profile is None:
            progress("profiling columns")
            scanned = None if (direct or quasi or sensitive) else _scan_columns(target, table)
            if scanned is None and not (direct or quasi or sensitive):
                raise InputError(
                    "--auto needs the scanner or declared roles: pass --direct, --quasi and "
                    "--sensitive column lists"
                )
            columns = _roles(frame, scanned, direct, quasi, sensitive)
            profile = auto_profile(columns, data=frame.head(_SAMPLE_ROWS))
            k = k if k is not None else math.ceil(1 / scenario_threshold(scenario) - 1e-9)
        if profile.needs_key and key is None and not profile_only:
            key = load_key(key_file, required=True)  # fail before any work: says how to give one
        if k is not None:
            progress(f"searching generalisations for k={k}")
            search = search_k(frame, profile, k, max_suppression, progress=progress)
            profile = search.profile
        if review is not None:
            saved = save_profile(profile, review, overwrite=force)
            typer.echo(f"profile saved for review: {saved}", err=True)
            if profile_only:
                return
        levels = search.levels if search else ()
        labels = {lv.column: levels_of(levels, lv.column) for lv in levels}
        result = deidentify(
            frame, profile, key=key, generalisation=labels, scenario=scenario, progress=progress
        )
        progress("writing output")
        written = _write(result.frame, destination, force)
    report = deid_report(target, table, written, profile, result, search)
    if fmt == "json":
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print_deid(report, result)


def _destination(
    target: str, table: str | None, output: str | None, output_table: str | None, force: bool
) -> tuple[str, str | None]:
    """(file path or database URL, table) of the output, checked before any work is done."""
    if output_table is not None:
        url = output if output is not None else target
        if not is_url(url):
            raise InputError("--output-table needs --output DATABASE_URL (or a database input)")
        if is_url(target) and url == target and output_table == table:
            raise InputError("--output-table names the input table; fenji never overwrites it")
        return url, output_table
    if output is not None and is_url(output):
        raise InputError("--output is a database URL: name the new table with --output-table")
    path = output_path(target, output)
    file_format(path)
    if path.exists() and not force:
        raise InputError(f"{path} already exists; choose another --output or pass --force")
    return str(path), None


def _profile_path(destination: tuple[str, str | None]) -> Path:
    where, table = destination
    if table is not None:
        return Path(f"{table}.profile.yaml")
    path = Path(where)
    return path.with_name(f"{path.stem}.profile.yaml")


def _write(frame: pl.DataFrame, destination: tuple[str, str | None], force: bool) -> str:
    where, table = destination
    if table is not None:
        return write_db(frame, where, table)
    return str(write_file(frame, Path(where), overwrite=force))


def risk_command(
    input: str = typer.Argument(..., help="File (csv, tsv, parquet, jsonl) or database URL."),
    table: str | None = typer.Option(None, "--table", help="Table to read from a database URL."),
    quasi: str | None = typer.Option(None, "--quasi", help="Quasi-identifiers a,b (else scan)."),
    sensitive: str | None = typer.Option(None, "--sensitive", help="Sensitive attributes a,b."),
    direct: str | None = typer.Option(None, "--direct", help="Direct identifiers present a,b."),
    population: str | None = typer.Option(
        None, "--population", help="Population table for journalist risk (file or URL)."
    ),
    population_table: str | None = typer.Option(
        None, "--population-table", help="Table of a population database URL."
    ),
    threshold: float | None = typer.Option(
        None, "--threshold", help="Acceptable record risk (default: the scenario's, 0.2)."
    ),
    scenario: str = typer.Option(
        DEFAULT_SCENARIO, "--scenario", help="Sharing scenario: public, agreement, enclave."
    ),
    use_scan: bool = typer.Option(
        True, "--scan/--no-scan", help="Fill in undeclared roles from fenji's scanner."
    ),
    profile: Path | None = typer.Option(
        None, "--profile", help="Roles from this de-identification profile (default: the "
        "NAME.profile.yaml that fenji deidentify wrote beside the input, if any).",
    ),
    no_profile: bool = typer.Option(
        False, "--no-profile", help="Ignore a profile beside the input."
    ),
    fmt: str = typer.Option("table", "--format", help="Output format: table or json."),
) -> None:
    """Measure re-identification risk: k, l, uniques, prosecutor/journalist/marketer risk,
    records at risk and the GB/T 42460-2023 effect grade."""
    with _clean_exit():
        if profile is not None and no_profile:
            raise InputError("--profile and --no-profile exclude each other")
        roles = _profile_roles(input, profile, no_profile)
        _risk(
            input, table, _names(quasi, "--quasi"), _names(sensitive, "--sensitive"),
            _names(direct, "--direct"), population, population_table, threshold, scenario,
            use_scan, fmt, roles,
        )  # fmt: skip


def _profile_roles(target: str, explicit: Path | None, ignore: bool) -> tuple[str, Profile] | None:
    """(path, profile) from ``--profile``, or the profile ``fenji deidentify`` saved beside a
    file input (``out.csv`` -> ``out.profile.yaml``).

    The output's own roles matter here: a generalised date (``1980s``) no longer looks like a
    date to the scanner, but it is still a quasi-identifier.
    """
    if ignore:
        return None
    path = explicit
    if path is None and not is_url(target):
        beside = Path(target).with_name(f"{Path(target).stem}.profile.yaml")
        path = beside if beside.is_file() else None
    if path is None:
        return None
    return str(path), load_profile(path)


def _risk(
    target: str,
    table: str | None,
    quasi: tuple[str, ...],
    sensitive: tuple[str, ...],
    direct: tuple[str, ...],
    population: str | None,
    population_table: str | None,
    threshold: float | None,
    scenario: str,
    use_scan: bool,
    fmt: str,
    profile: tuple[str, Profile] | None = None,
) -> None:
    _check_choice(fmt, FORMATS, "--format")
    _check_choice(scenario, tuple(SCENARIOS), "--scenario")
    with _status("measuring risk") as progress:
        frame = read_table(target, table)
        basis, roles_known = "declared", bool(quasi or direct or sensitive)
        if profile is not None:
            # Declared roles win; the profile gives the output's roles for the rest (see
            # ``output_roles``: a pseudonymised identifier no longer identifies by itself).
            where, rules = profile
            declared = set(quasi) | set(direct) | set(sensitive)
            out_direct, out_quasi, out_sensitive = output_roles(
                rules, [c for c in frame.columns if c not in declared]
            )
            direct = direct or tuple(out_direct)
            quasi = quasi or tuple(out_quasi)
            sensitive = sensitive or tuple(out_sensitive)
            basis, roles_known = ("declared and profile" if declared else "profile"), True
            typer.echo(f"roles from the profile {where}", err=True)
        scanned = None
        if use_scan and profile is None and (not quasi or not direct):
            progress("scanning for identifiers")
            scanned = _scan_columns(target, table)
        if scanned is None and not quasi:
            raise InputError("name the quasi-identifiers with --quasi a,b,c")
        if scanned is not None:
            # Declared roles win; the scan fills in the ones not declared.
            declared = set(quasi) | set(direct) | set(sensitive)
            found = {c.name: c.role for c in scanned if c.name not in declared}
            basis = "scan" if not declared else "declared and scan"
            roles_known = True
            quasi = quasi or tuple(n for n, r in found.items() if r == "quasi")
            direct = direct or tuple(n for n, r in found.items() if r == "direct")
            sensitive = sensitive or tuple(n for n, r in found.items() if r == "sensitive")
        pop = read_table(population, population_table) if population else None
        report = measure_risk(
            frame,
            quasi,
            sensitive,
            population=pop,
            threshold=threshold,
            scenario=scenario,
            direct=direct,
            basis=basis,
            roles_known=roles_known,
        )
    if fmt == "json":
        source = safe_url(target) if is_url(target) else target
        typer.echo(json.dumps({"input": source, **report.to_dict()}, ensure_ascii=False, indent=2))
    else:
        print_risk(Console(), report)
