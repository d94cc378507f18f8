"""One measured task per process, so each gets its own peak memory: ``python -m bench.tasks``.

    python -m bench.tasks scan FILE --sample all --repeat 3
    python -m bench.tasks floor FILE --repeat 3
    python -m bench.tasks pair FILE --repeat 3      # fenji and the floor, alternating
    python -m bench.tasks read FILE --repeat 3
    python -m bench.tasks presidio FILE --rows 2000
    python -m bench.tasks spark FILE [FILE ...]

Each prints one JSON object: the wall-clock seconds of every run, the process's peak resident
memory (MB, imports included) and what the task found (counts only, never values).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

# The four info types fenji is compared with Presidio on.
SHARED = ("CN_RESIDENT_ID", "CN_MOBILE_PHONE", "BANK_CARD_NUMBER", "EMAIL_ADDRESS")
RECOGNIZERS = {"cn_ric", "cn_mobile", "bank_card", "email"}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _timed(fn: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return times, out


def _read(path: Path) -> pl.DataFrame:
    if path.suffix == ".parquet":
        return pl.read_parquet(path)
    return pl.read_csv(path, infer_schema=False)


def scan_task(path: Path, sample: str, repeat: int, individuals: bool) -> dict[str, Any]:
    """fenji's scan, as ``fenji scan FILE --sample ...`` runs it (no catalogue, no report)."""
    from fenji.scan import ScanOptions, scan

    opts = ScanOptions(sample=None if sample == "all" else int(sample), individuals=individuals)
    times, result = _timed(lambda: scan([str(path)], opts, key=b"bench-key-0123456789"), repeat)
    (table,) = result.sources[0].tables
    found = {c.name: {h.type: h.hits for h in c.info_types} for c in table.columns}
    people = table.individuals.estimate if table.individuals else None
    return {"times": times, "found": found, "rows": table.rows_sampled, "individuals": people}


def floor_patterns() -> dict[str, str]:
    """fenji's own regexes for the shared types, one alternation per type (no validation)."""
    from fenji.detect.recognizer import general_recognizers

    return {
        r.info_type: "|".join(f"(?:{p.regex})" for p in r.patterns)
        for r in general_recognizers().recognizers
        if r.id in RECOGNIZERS
    }


def floor_task(path: Path, repeat: int) -> dict[str, Any]:
    """The floor: Polars reads the file and counts the same regexes' matches in every column."""
    patterns = floor_patterns()

    def run() -> dict[str, dict[str, int]]:
        df = _read(path)
        exprs = [
            pl.col(c).str.count_matches(rx).sum().alias(f"{c}\x00{t}")
            for c in df.columns
            for t, rx in patterns.items()
        ]
        counts = df.select(exprs).row(0, named=True)
        out: dict[str, dict[str, int]] = {}
        for key, n in counts.items():
            column, info_type = key.split("\x00")
            if n:
                out.setdefault(column, {})[info_type] = int(n)
        return out

    times, found = _timed(run, repeat)
    return {"times": times, "found": found}


def pair_task(path: Path, repeat: int, presidio_rows: int = 0) -> dict[str, Any]:
    """fenji's full-column scan and the floor (and, with ``presidio_rows``, Presidio over that
    many rows), taking turns in one warm process: on a shared machine their ratios then do not
    depend on when each ran. Each timed run follows an untimed run of the same tool, so that
    none is timed right after another: what runs after Presidio's single-threaded second and a
    half finds the second core idle and its caches cold, about 10 % slower (decision 19)."""
    from bench import presidio_bench
    from fenji.scan import ScanOptions, scan

    opts = ScanOptions(sample=None, individuals=False)
    key = b"bench-key-0123456789"
    peer = presidio_bench.setup(path, presidio_rows) if presidio_rows else None
    fenji: list[float] = []
    floor: list[float] = []
    presidio: list[float] = []
    seen: dict[str, Any] = {}  # Presidio's bytes analysed and detections (the same every run)

    def run_presidio() -> float:
        assert peer is not None
        seconds, seen["nbytes"], seen["found"] = presidio_bench.run_once(*peer)
        return seconds

    tools: list[tuple[list[float], Callable[[], float]]] = [
        (fenji, lambda: _timed(lambda: scan([str(path)], opts, key=key), 1)[0][0]),
        (floor, lambda: float(floor_task(path, 1)["times"][0])),
    ] + ([(presidio, run_presidio)] if peer is not None else [])
    for _ in range(repeat):
        for times, run in tools:
            run()  # untimed: the same tool warms up the cores and caches
            times.append(run())
    out: dict[str, Any] = {"times": fenji, "floor_times": floor}
    if peer is not None:
        out["presidio"] = presidio_bench.result(
            len(peer[0]), presidio, seen["nbytes"], seen["found"]
        )
    return out


def read_task(path: Path, repeat: int) -> dict[str, Any]:
    """Polars just reading the whole file."""
    times, df = _timed(lambda: _read(path), repeat)
    return {"times": times, "rows": df.height}


def presidio_task(path: Path, rows: int, repeat: int) -> dict[str, Any]:
    """Presidio over the first ``rows`` rows (see bench/presidio_bench.py)."""
    from bench.presidio_bench import run

    return run(path, rows, repeat)


def spark_task(paths: list[Path], master: str) -> dict[str, Any]:
    """The Spark engine and the local engine, both reading every row of the same files."""
    from fenji.scan import ScanOptions, scan
    from fenji.spark import scan_spark, spark_session

    key = b"bench-key-0123456789"
    start = time.perf_counter()
    spark = spark_session(master)
    spark.sparkContext.setLogLevel("ERROR")
    startup = time.perf_counter() - start
    out: dict[str, Any] = {"startup": startup, "files": {}}
    opts = ScanOptions(sample=None)
    for path in paths:
        t0 = time.perf_counter()
        remote = scan_spark([str(path)], opts, spark=spark, key=key)
        t1 = time.perf_counter()
        local = scan([str(path)], opts, key=key)
        t2 = time.perf_counter()
        a, b = remote.sources[0].tables[0], local.sources[0].tables[0]
        out["files"][path.name] = {
            "spark_seconds": t1 - t0,
            "local_seconds": t2 - t1,
            "partitions": spark.read.parquet(str(path)).rdd.getNumPartitions()
            if path.suffix == ".parquet"
            else None,
            "same_findings": a.columns == b.columns and a.grade == b.grade,
            "individuals": [
                a.individuals.estimate if a.individuals else None,
                b.individuals.estimate if b.individuals else None,
            ],
        }
    spark.stop()
    out["times"] = [time.perf_counter() - start]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="task", required=True)
    p = sub.add_parser("scan")
    p.add_argument("path", type=Path)
    p.add_argument("--sample", default="all")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--individuals", action="store_true")
    for name in ("floor", "read", "pair"):
        p = sub.add_parser(name)
        p.add_argument("path", type=Path)
        p.add_argument("--repeat", type=int, default=3)
        if name == "pair":
            p.add_argument("--presidio-rows", type=int, default=0)
    p = sub.add_parser("presidio")
    p.add_argument("path", type=Path)
    p.add_argument("--rows", type=int, default=2000)
    p.add_argument("--repeat", type=int, default=3)
    p = sub.add_parser("spark")
    p.add_argument("paths", type=Path, nargs="+")
    p.add_argument("--master", default="local[*]")
    args = parser.parse_args()
    if args.task == "scan":
        out = scan_task(args.path, args.sample, args.repeat, args.individuals)
    elif args.task == "floor":
        out = floor_task(args.path, args.repeat)
    elif args.task == "read":
        out = read_task(args.path, args.repeat)
    elif args.task == "pair":
        out = pair_task(args.path, args.repeat, args.presidio_rows)
    elif args.task == "presidio":
        out = presidio_task(args.path, args.rows, args.repeat)
    else:
        out = spark_task(args.paths, args.master)
    out["peak_mb"] = _peak_mb()
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
