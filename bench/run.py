"""``make bench``: scan throughput and column-classification precision/recall.

Generates seeded Faker zh_CN tables (``fenji.synth``), then in one run measures
1. detection precision/recall over columns against the generator's ground-truth labels;
2. full-column scan throughput (``--sample all``) in MB/s of cell text, with the floor: Polars
   reading the same file and running one regex per column with no validation;
3. a default sampled scan of a large Parquet file vs Polars just reading it.
Medians of ``--repeat`` runs. Run ``python -m bench.run --help`` for sizes.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl

from fenji.scan import ScanOptions, scan
from fenji.synth import LABELS, make_tables

FLOOR_PATTERN = r"[0-9Xx]{15,19}|1[3-9]\d{9}|[\w.]+@[\w.]+"


def _median_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def text_megabytes(df: pl.DataFrame) -> float:
    """Total UTF-8 bytes of all cells, the unit of every throughput figure here."""
    sizes = df.select(
        pl.sum_horizontal(pl.col(c).cast(pl.Utf8).str.len_bytes().sum() for c in df.columns)
    )
    return float(sizes.item() or 0) / 1e6


def precision_recall(rows: int, seed: int) -> tuple[float, float, list[str]]:
    """Column-level precision and recall of a sampled scan against the generator's labels."""
    tables = make_tables(rows, seed)
    tp = fp = fn = 0
    mistakes: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, df in tables.items():
            df.write_parquet(Path(tmp) / f"{name}.parquet")
        result = scan([tmp], ScanOptions(individuals=False))
    for source in result.sources:
        for table in source.tables:
            truth = LABELS.get(table.name, {})
            for col in table.columns:
                found = {h.type for h in col.info_types}
                expected = set(truth.get(col.name, set()))
                tp += len(found & expected)
                fp += len(found - expected)
                fn += len(expected - found)
                if found != expected:
                    mistakes.append(f"{table.name}.{col.name}: found {sorted(found)} "
                                    f"expected {sorted(expected)}")
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, mistakes


def throughput(rows: int, seed: int, repeat: int) -> None:
    """Full-column scan vs the regex floor on the same CSV."""
    df = make_tables(rows, seed)["customers"]
    mb = text_megabytes(df)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "customers.csv"
        df.write_csv(path)
        opts = ScanOptions(sample=None, individuals=False)
        t_scan = _median_time(lambda: scan([str(path)], opts), repeat)

        def floor() -> None:
            data = pl.read_csv(path, infer_schema_length=0)
            data.select(pl.col(c).str.count_matches(FLOOR_PATTERN).sum() for c in data.columns)

        t_floor = _median_time(floor, repeat)
    print(f"full-column scan: {rows} rows, {mb:.1f} MB of cell text")
    print(f"  fenji scan --sample all : {t_scan:.2f} s  {mb / t_scan:.1f} MB/s")
    print(f"  polars read + regex floor: {t_floor:.2f} s  {mb / t_floor:.1f} MB/s")
    print(f"  fenji / floor throughput : {t_floor / t_scan:.0%}")


def sampled_parquet(rows: int, seed: int, repeat: int) -> None:
    """Default sampled scan of a big Parquet file vs Polars reading it."""
    base = make_tables(min(rows, 200_000), seed)["customers"]
    df = pl.concat([base] * max(1, rows // base.height)).head(rows)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.parquet"
        df.write_parquet(path)
        t_read = _median_time(lambda: pl.read_parquet(path), repeat)
        t_scan = _median_time(lambda: scan([str(path)], ScanOptions(individuals=False)), repeat)
        t_ind = _median_time(lambda: scan([str(path)], ScanOptions()), repeat)
    print(f"sampled scan of a {df.height}-row Parquet file")
    print(f"  polars read_parquet          : {t_read:.2f} s")
    print(f"  fenji scan (sample 1000)     : {t_scan:.2f} s  ({t_scan / t_read:.1f}x the read)")
    print(f"  fenji scan + individuals pass: {t_ind:.2f} s  ({t_ind / t_read:.1f}x the read)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000, help="rows for the throughput run")
    parser.add_argument("--parquet-rows", type=int, default=1_000_000)
    parser.add_argument("--pr-rows", type=int, default=2000, help="rows per table for P/R")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    p, r, mistakes = precision_recall(args.pr_rows, args.seed)
    print(f"column classification: precision {p:.3f}  recall {r:.3f}")
    for m in mistakes:
        print(f"  mismatch {m}")
    throughput(args.rows, args.seed, args.repeat)
    sampled_parquet(args.parquet_rows, args.seed, args.repeat)


if __name__ == "__main__":
    main()
