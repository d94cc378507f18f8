"""Scale-out scans on Apache Spark (``pip install 'fenji[spark]'``: pyspark, pandas<3).

``scan_spark(targets, options, master=...)`` is ``fenji scan --engine spark``: it reads Parquet,
ORC, CSV and JSON paths or catalog tables with Spark, runs fenji's own detection in the
executors over Arrow batches (``mapInArrow``), merges the per-partition counts and HLL sketches
on the driver and returns the same ``ScanResult`` as the local engine, for the same reports and
catalogue. ``scan_dataframe(df)`` profiles a DataFrame you already have inside a Spark job.

By default every row is read (like ``--sample all``) and the findings equal a local full scan of
the same rows. The executors need fenji installed (the driver's interpreter is used for local
masters).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING

from fenji.errors import FenjiError, SourceError
from fenji.individuals import hmac_key
from fenji.model import ScanResult, SourceProfile, TableProfile
from fenji.packs import Pack, load_pack
from fenji.report.contract import redact_uri
from fenji.scan import ScanOptions
from fenji.spark.engine import profile_dataframe
from fenji.spark.targets import read, resolve
from fenji.spark.tasks import Context

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["scan_dataframe", "scan_spark", "spark_session"]

TableHook = Callable[[str, str], None]


def _noop(_source: str, _table: str) -> None:
    return None


def spark_session(master: str | None = None, *, quiet: bool = False) -> SparkSession:
    """The active Spark session, or a new one (``master`` as given, else Spark's configuration:
    ``spark-defaults.conf``, ``PYSPARK_SUBMIT_ARGS``, and ``local[*]`` when nothing says).

    ``quiet`` (the CLI) turns off Spark's console progress bars and logs below ERROR, which
    would otherwise interleave with fenji's own progress and report on the terminal.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise FenjiError(
            "the Spark engine needs pyspark: pip install 'fenji[spark]' (pyspark, pandas<3)"
        ) from exc
    active = SparkSession.getActiveSession()
    if active is not None and master is None:
        return active
    if master is None or master.startswith("local"):
        # Local executors start Python workers: use this interpreter, which has fenji.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName("fenji")
    if master is not None:
        builder = builder.master(master)
    if quiet:
        builder = builder.config("spark.ui.showConsoleProgress", "false")
        if "PYSPARK_SUBMIT_ARGS" not in os.environ:  # the user's own settings win
            log4j = Path(__file__).with_name("log4j2.properties")
            os.environ["PYSPARK_SUBMIT_ARGS"] = (
                f'--driver-java-options "-Dlog4j2.configurationFile={log4j.as_uri()}" pyspark-shell'
            )
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # Py4J / Java gateway errors: no data in them, but long traces
        where = master or "Spark's configured master"
        raise SourceError(
            f"--spark-master {where}: could not start a Spark session ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:200] if str(exc) else 'no message'})"
        ) from None
    if quiet:
        session.sparkContext.setLogLevel("ERROR")
    return session


def _context(opts: ScanOptions) -> tuple[Pack, Context]:
    pack = load_pack(opts.pack, opts.catalogue_version)
    return pack, Context(opts.pack, opts.catalogue_version, opts.batch_rows)


def _sampled(df: DataFrame, opts: ScanOptions) -> tuple[DataFrame, int | None]:
    """The rows to scan: all of them, or about ``opts.sample`` chosen by Spark with the seed."""
    if opts.sample is None:
        return df, None
    rows = df.count()
    if rows <= opts.sample:
        return df, rows
    return df.sample(withReplacement=False, fraction=opts.sample / rows, seed=opts.seed), rows


def scan_dataframe(
    df: DataFrame,
    *,
    name: str = "dataframe",
    options: ScanOptions | None = None,
    key: bytes | None = None,
    today: date | None = None,
) -> TableProfile:
    """Profile a Spark DataFrame: info types, grades and masked samples per column, and the
    distinct individuals. Every row is read unless ``options.sample`` says otherwise.

    The DataFrame must give the same rows in the same partitions each time it is evaluated
    (files and tables do; ``cache()`` anything random first): it is read by four small jobs.
    """
    opts = options or ScanOptions(sample=None)
    pack, ctx = _context(opts)
    secret = key if key is not None else (hmac_key() if opts.individuals else b"")
    df, rows = _sampled(df, opts)
    return profile_dataframe(
        df,
        name,
        ctx,
        pack,
        key=secret,
        individuals=opts.individuals,
        today=today,
        rows=rows,
    )


def scan_spark(
    targets: Sequence[str],
    options: ScanOptions | None = None,
    *,
    master: str | None = None,
    key: bytes | None = None,
    spark: SparkSession | None = None,
    on_table_start: TableHook = _noop,
    on_table_done: TableHook = _noop,
    today: date | None = None,
) -> ScanResult:
    """``fenji scan --engine spark``: scan files, dataset directories and catalog tables.

    ``options.sample`` None reads every row; a number samples about that many rows per table
    with Spark. ``options.tables`` (a glob) narrows the tables by name. Errors in one target are
    recorded in its source's ``errors`` and the scan goes on.
    """
    opts = options or ScanOptions()
    session = spark or spark_session(master)
    secret = key if key is not None else (hmac_key() if opts.individuals else b"")
    started = datetime.now(UTC)
    sources: list[SourceProfile] = []
    for target in [targets] if isinstance(targets, str) else targets:
        try:
            where = resolve(str(target))
        except SourceError as exc:
            uri = redact_uri(str(target))  # a database URL given by mistake may hold a password
            sources.append(SourceProfile(uri=uri, kind="error", errors=(str(exc),)))
            continue
        if opts.tables and not fnmatchcase(where.name, opts.tables):
            continue
        on_table_start(where.uri, where.name)
        try:
            table = scan_dataframe(
                read(session, where), name=where.name, options=opts, key=secret, today=today
            )
            sources.append(SourceProfile(uri=where.uri, kind=where.kind, tables=(table,)))
        except FenjiError as exc:
            sources.append(SourceProfile(uri=where.uri, kind=where.kind, errors=(str(exc),)))
        except Exception as exc:  # Spark's errors (AnalysisException, Py4J ...) can quote data
            message = f"{where.uri}: Spark could not read it ({type(exc).__name__})"
            sources.append(SourceProfile(uri=where.uri, kind=where.kind, errors=(message,)))
        finally:
            on_table_done(where.uri, where.name)
    pack = load_pack(opts.pack, opts.catalogue_version)
    return ScanResult(
        sources=tuple(sources),
        pack=pack.name,
        catalogue_version=pack.catalogue_version,
        started_at=started,
        finished_at=datetime.now(UTC),
        sample=opts.sample,
    )
