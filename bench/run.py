"""``make bench``: fenji against its peers and the hardware floor, on the same rows, in one run.

1. column classification precision/recall against the generator's ground truth;
2. full-column detection (``--sample all``) of a customers CSV (``--rows``) against
   - Presidio's AnalyzerEngine, pattern recognizers only, on the first ``--presidio-rows`` rows
     (its time scaled to all rows; said so in the output), and
   - the floor: Polars reading the file and counting fenji's own regexes for the same four types
     in every column, with no validation;
   with detection counts per type for all three, so the comparison is of the same work;
3. the default sampled scan of a ``--parquet-rows`` Parquet file against Polars reading it;
4. peak memory of ``fenji scan --sample all`` over a ``--csv-gb`` CSV file;
5. the Spark engine against the local engine on the same files (when pyspark is installed).

Every timing is the median of ``--repeat`` runs in a fresh process (``bench.tasks``), which also
reports its peak memory; section 2's fenji, floor and (when importable here) Presidio runs
alternate in one process, so that a busy neighbour on a shared machine slows them alike.
Data files are generated once (seeded) and kept in ``--data``.
Run ``python -m bench.run --help`` for sizes; ``--quick`` runs everything small.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

import polars as pl

from bench import generate
from bench.accuracy import precision_recall
from bench.tasks import SHARED

ROOT = Path(__file__).resolve().parents[1]
PRESIDIO_ENV = "FENJI_BENCH_PRESIDIO_PYTHON"  # a Python with presidio-analyzer, if not this one


def child(*args: str, python: str = sys.executable) -> dict[str, Any]:
    """Run one ``bench.tasks`` task in a fresh process and return its JSON."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if python == sys.executable:
        cmd = [python, "-m", "bench.tasks", *args]
    else:  # another virtualenv: only the standalone Presidio script runs there
        cmd = [python, str(ROOT / "bench" / "presidio_bench.py"), *args[1:]]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"bench task {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    out: dict[str, Any] = json.loads(proc.stdout)
    out.setdefault("times", [out.get("seconds", 0.0)])
    return out


def median(result: dict[str, Any]) -> float:
    return float(statistics.median(result["times"]))


def text_megabytes(df: pl.DataFrame) -> float:
    """UTF-8 bytes of all cells, the unit of every throughput figure here."""
    sizes = df.select(pl.sum_horizontal(pl.col(c).str.len_bytes().sum() for c in df.columns))
    return float(sizes.item() or 0) / 1e6


def _truth_cells(df: pl.DataFrame) -> dict[str, int]:
    truth = generate.truth()
    return {
        t: sum(df[c].drop_nulls().len() for c, types in truth.items() if t in types) for t in SHARED
    }


def _split(found: dict[str, dict[str, int]], info_type: str, scale: float = 1.0) -> tuple:
    truth = generate.truth()
    inside = sum(n.get(info_type, 0) for c, n in found.items() if info_type in truth.get(c, ()))
    outside = sum(
        n.get(info_type, 0) for c, n in found.items() if info_type not in truth.get(c, ())
    )
    return round(inside * scale), round(outside * scale)


def presidio(path: Path, rows: int, repeat: int, python: str | None) -> dict[str, Any] | None:
    """Presidio in this process's environment, or in ``python``; None (and why) if neither."""
    args = ("presidio", str(path), "--rows", str(rows), "--repeat", str(repeat))
    if python:
        return child(*args, python=python)
    if importlib.util.find_spec("presidio_analyzer") is not None:
        return child(*args)
    print(
        "  Presidio: skipped - presidio_analyzer is not importable. Install the bench extra"
        f" (pip install 'fenji[bench]', as make bench does) or set {PRESIDIO_ENV} to a Python"
        " that has it."
    )
    return None


def throughput(args: argparse.Namespace, data: Path) -> dict[str, float]:
    """Section 2: full-column detection vs Presidio and vs the regex floor."""
    path = generate.write(data / f"customers-{args.rows}.csv", args.rows, args.seed)
    df = pl.read_csv(path, infer_schema=False)
    mb, rows = text_megabytes(df), df.height
    head = df.head(args.presidio_rows)
    # Peak memory and detections from one run of each, times from runs taking turns in one
    # warm process (so a busy neighbour on a shared machine slows each alike; each timed run
    # follows an untimed one of the same tool, so none is timed right after another).
    fenji = child("scan", str(path), "--sample", "all", "--repeat", "1")
    floor = child("floor", str(path), "--repeat", "1")
    # Presidio in this environment runs in the same alternation (another one: on its own).
    beside = not args.presidio_python and importlib.util.find_spec("presidio_analyzer") is not None
    rows_arg = ("--presidio-rows", str(args.presidio_rows)) if beside else ()
    pair = child("pair", str(path), "--repeat", str(args.repeat), *rows_arg)
    if beside:
        peer = pair["presidio"]
    else:
        peer = presidio(path, args.presidio_rows, args.repeat, args.presidio_python)
    t_fenji = float(statistics.median(pair["times"]))
    t_floor = float(statistics.median(pair["floor_times"]))
    print(f"\n2. full-column detection: {rows:,} rows x {df.width} columns, {mb:.1f} MB of cells")
    print(
        f"  fenji scan --sample all      {t_fenji:7.2f} s {mb / t_fenji:7.1f} MB/s"
        f"  peak {fenji['peak_mb']:.0f} MB"
    )
    print(
        f"  floor: read + same regexes   {t_floor:7.2f} s {mb / t_floor:7.1f} MB/s"
        f"  peak {floor['peak_mb']:.0f} MB"
    )
    out = {"fenji_vs_floor": t_floor / t_fenji}
    scale = 1.0
    if peer is not None:
        scale = rows / peer["rows"]
        t_peer = peer["seconds"] * scale
        rate = peer["megabytes"] / peer["seconds"]
        print(
            f"  Presidio, patterns only      {t_peer:7.2f} s {rate:7.2f}"
            f" MB/s  (first {peer['rows']:,} rows: median {peer['seconds']:.1f} s of"
            f" {len(peer['times'])} runs{', in turns with fenji' if beside else ''},"
            f" time scaled x{scale:.0f})"
        )
        out["fenji_vs_presidio"] = (mb / t_fenji) / (peer["megabytes"] / peer["seconds"])
    print(f"  fenji / floor throughput: {out['fenji_vs_floor']:.0%}", end="")
    if "fenji_vs_presidio" in out:
        print(f"   fenji / Presidio: {out['fenji_vs_presidio']:,.0f}x", end="")
    print("\n  detections per type, cells in the true column / elsewhere (recall):")
    truth, truth_head = _truth_cells(df), _truth_cells(head)
    for t in SHARED:
        f_in, f_out = _split(fenji["found"], t)
        r_in, r_out = _split(floor["found"], t)
        line = f"    {t:17s} truth {truth[t]:>8,}  fenji {f_in:>8,}/{f_out:<6,}"
        line += f" ({f_in / truth[t]:.1%})"
        if peer is not None:
            p_in, p_out = _split(peer["cells"], t)
            line += f"  Presidio {round(p_in * scale):>8,}/{round(p_out * scale):<6,}"
            line += f" ({p_in / max(truth_head[t], 1):.1%})"
            out[f"recall_gap_{t}"] = f_in / truth[t] - p_in / max(truth_head[t], 1)
        line += f"  floor matches {r_in:>8,}/{r_out:,}"
        print(line)
    return out


def sampled_parquet(args: argparse.Namespace, data: Path) -> dict[str, float]:
    """Section 3: the default sampled scan of a big Parquet file vs Polars reading it."""
    path = generate.write(
        data / f"customers-{args.parquet_rows}.parquet", args.parquet_rows, args.seed
    )
    read = child("read", str(path), "--repeat", str(args.repeat))
    sampled = child("scan", str(path), "--sample", "1000", "--repeat", str(args.repeat))
    with_people = child(
        "scan", str(path), "--sample", "1000", "--repeat", str(args.repeat), "--individuals"
    )
    t_read, t_scan, t_people = median(read), median(sampled), median(with_people)
    print(f"\n3. sampled scan of a {args.parquet_rows:,}-row Parquet file")
    print(f"  polars read_parquet              {t_read:6.2f} s")
    print(f"  fenji scan (sample 1000)         {t_scan:6.2f} s  ({t_scan / t_read:.2f}x the read)")
    print(f"  + individuals (full key column)  {t_people:6.2f} s  ({t_people / t_read:.2f}x)")
    return {"sampled_vs_read": t_scan / t_read}


def memory(args: argparse.Namespace, data: Path) -> dict[str, float]:
    """Section 4: peak memory of a full scan of a large CSV file."""
    rows = generate.rows_for(args.csv_gb)
    path = generate.write(data / f"customers-{rows}.csv", rows, args.seed)
    gb = path.stat().st_size / 1e9
    run = child("scan", str(path), "--sample", "all", "--repeat", "1", "--individuals")
    print(f"\n4. fenji scan --sample all of a {gb:.2f} GB CSV ({run['rows']:,} rows)")
    print(
        f"  {median(run):.1f} s, peak memory {run['peak_mb']:.0f} MB"
        f" (individuals: {run['individuals']:,})"
    )
    return {"peak_mb": run["peak_mb"], "csv_gb": gb}


def spark(args: argparse.Namespace, data: Path) -> dict[str, float]:
    """Section 5: Spark engine vs local engine, same files, every row."""
    if importlib.util.find_spec("pyspark") is None:
        print("\n5. Spark: skipped - pyspark is not installed (pip install 'fenji[spark]')")
        return {}
    files = [
        generate.write(data / f"customers-{args.spark_rows}.parquet", args.spark_rows, args.seed),
        generate.write(data / f"customers-{args.spark_rows}.csv", args.spark_rows, args.seed),
    ]
    run = child("spark", *map(str, files), "--master", args.spark_master)
    print(f"\n5. Spark engine ({args.spark_master}, session start {run['startup']:.0f} s) vs local")
    same = True
    for name, r in run["files"].items():
        a, b = r["individuals"]
        same &= r["same_findings"]
        print(
            f"  {name:32s} spark {r['spark_seconds']:6.1f} s  local {r['local_seconds']:6.1f} s"
            f"  same findings: {r['same_findings']}  individuals {a:,} vs {b:,}"
            f" ({abs(a - b) / b:.2%})"
        )
    return {"spark_same": float(same)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000, help="rows for section 2")
    parser.add_argument("--presidio-rows", type=int, default=2000)
    parser.add_argument("--parquet-rows", type=int, default=1_000_000)
    parser.add_argument("--csv-gb", type=float, default=2.0, help="0 skips section 4")
    parser.add_argument("--pr-rows", type=int, default=2000, help="rows per table, section 1")
    parser.add_argument("--spark-rows", type=int, default=100_000)
    parser.add_argument("--spark-master", default="local[*]")
    parser.add_argument("--no-spark", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--data",
        type=Path,
        default=Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "fenji-bench",
    )
    parser.add_argument("--presidio-python", default=os.environ.get(PRESIDIO_ENV))
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args()
    if args.quick:
        args.rows, args.parquet_rows, args.csv_gb, args.spark_rows = 20_000, 100_000, 0.05, 5000
        args.presidio_rows, args.pr_rows = 300, 500
    p, r, mistakes = precision_recall(args.pr_rows, args.seed)
    print(f"1. column classification: precision {p:.3f}  recall {r:.3f}")
    for m in mistakes:
        print(f"  mismatch {m}")
    summary = throughput(args, args.data)
    summary |= sampled_parquet(args, args.data)
    if args.csv_gb > 0:
        summary |= memory(args, args.data)
    if not args.no_spark:
        summary |= spark(args, args.data)
    print("\ntargets")
    print(
        f"  full-column detection / regex floor throughput: {summary['fenji_vs_floor']:.0%}"
        " (target >= 50 %)"
    )
    if "fenji_vs_presidio" in summary:
        gaps = {k.removeprefix("recall_gap_"): v for k, v in summary.items() if "recall_gap" in k}
        worst = min(gaps, key=gaps.__getitem__)
        print(
            f"  full-column detection / Presidio patterns-only: "
            f"{summary['fenji_vs_presidio']:,.0f}x (target >= 300x); recall fenji - Presidio,"
            f" lowest: {gaps[worst]:+.4%} ({worst}; target >= 0)"
        )
    print(f"  sampled Parquet scan / Polars read: {summary['sampled_vs_read']:.2f}x (target <= 2x)")
    if "peak_mb" in summary:
        print(
            f"  peak memory, {summary['csv_gb']:.1f} GB CSV --sample all: "
            f"{summary['peak_mb']:.0f} MB (target < 1024 MB)"
        )
    if "spark_same" in summary:
        print(f"  Spark findings identical to local: {bool(summary['spark_same'])}")


if __name__ == "__main__":
    main()
