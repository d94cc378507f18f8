"""Helpers of ``fenji scan``: report output, catalogue bookkeeping and the ``--fail-on`` gate."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from rich.console import Console

from fenji.catalogue import Catalogue
from fenji.errors import InputError, choices
from fenji.individuals import key_fingerprint
from fenji.model import ScanResult
from fenji.packs import load_pack
from fenji.report import print_table, write_html, write_json, write_sarif
from fenji.scan import ScanOptions, TableHook, scan

Runner = Callable[[Sequence[str], ScanOptions, bytes, TableHook, TableHook], ScanResult]


def check_engine_options(
    spark: bool, master: str | None, include: Sequence[str], exclude: Sequence[str]
) -> None:
    """Refuse options that mean nothing for the chosen engine, rather than ignore them."""
    if master is not None and not spark:
        raise InputError("--spark-master needs --engine spark")
    if spark and (include or exclude):
        raise InputError(
            "--include/--exclude filter the local engine's directory walk; with --engine spark "
            "a directory is one dataset: name the files, or use FORMAT:PATH (docs/performance.md)"
        )


def engine_runner(spark: bool, master: str | None) -> Runner:
    """The scan function of the chosen engine, with the CLI's progress hooks."""
    if not spark:
        return lambda targets, opts, key, start, done: scan(
            targets, opts, key=key, on_table_start=start, on_table_done=done
        )
    from fenji.spark import scan_spark, spark_session

    def run(
        targets: Sequence[str], opts: ScanOptions, key: bytes, start: TableHook, done: TableHook
    ) -> ScanResult:
        session = spark_session(master, quiet=True)
        return scan_spark(
            targets, opts, key=key, spark=session, on_table_start=start, on_table_done=done
        )

    return run


def fail_on_rank(pack: str, catalogue_version: str | None, level: str | None) -> int | None:
    """Rank of ``--fail-on LEVEL`` in the pack's scheme, or None when not given."""
    if level is None:
        return None
    levels = load_pack(pack, catalogue_version).levels
    if level not in levels:
        raise InputError(f"--fail-on: unknown level '{level}' for pack {pack}; "
                         f"valid: {choices(levels)}")
    return int(levels[level].rank)


def record_scan_start(url: str | None, opts: ScanOptions) -> tuple[Catalogue, int]:
    """Open the catalogue and mark a scan as running before any work starts."""
    store = Catalogue(url)
    scan_id = store.begin_scan(
        pack=opts.pack, catalogue_version=opts.catalogue_version, sample=opts.sample
    )
    return store, scan_id


def record_scan_end(store: Catalogue, scan_id: int, result: ScanResult, key: bytes) -> None:
    """Store the results and mark the scan complete (only a finished scan is complete).

    The key's fingerprint is stored so sketches made under different keys are never merged.
    """
    store.finish_scan(scan_id, result, key_id=key_fingerprint(key) if key else None)


def emit(result: ScanResult, fmt: str, output: Path | None) -> None:
    """Write the report in the chosen format to ``output`` (atomically) or stdout."""
    if fmt == "table":
        if output is not None:
            with output.open("w", encoding="utf-8") as fh:
                print_table(result, Console(file=fh, width=120))
        else:
            print_table(result, Console())
    elif fmt == "json":
        write_json(result, output)
    elif fmt == "html":
        write_html(result, output)
    elif fmt == "sarif":
        write_sarif(result, output)
    else:  # Typer validates the enum; this guards programmatic use
        raise InputError(f"--format: unknown '{fmt}'; valid: html, json, sarif, table")
