"""Benchmark ``fenji risk`` and ``fenji deidentify --auto`` on a large generated table.

    python bench/bench_deid.py --rows 1000000

Generates (numpy, seeded) a table of ``--rows`` records with 4 quasi-identifiers (sex, birth
date, 6-digit postcode, occupation) and one sensitive attribute, writes it as CSV, then times
1. ``measure_risk`` over the 4 quasi-identifiers (k, l, uniques, prosecutor/marketer risk);
2. the auto de-identification: ``auto_profile`` + k-anonymity search (k=5, 5 % suppression)
   + applying the chosen profile, in memory;
3. the same end to end with CSV reading and writing, as ``fenji deidentify --auto`` does.
Polars runs on one thread unless ``--threads`` says otherwise. Prints wall-clock seconds per
step and, in brackets, the process CPU seconds (steadier on a shared machine).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="Polars threads (default 1)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    # Must be set before Polars is imported.
    os.environ["POLARS_MAX_THREADS"] = str(args.threads)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    run(args.rows, args.k, args.seed)


def run(rows: int, k: int, seed: int) -> None:
    import numpy as np
    import polars as pl

    from fenji.deid.engine import deidentify
    from fenji.deid.io import read_file, write_file
    from fenji.deid.kanon import search_k
    from fenji.deid.profile import auto_profile
    from fenji.deid.risk import measure_risk
    from fenji.model import ColumnProfile

    rng = np.random.default_rng(seed)
    born = np.datetime64("1940-01-01") + rng.integers(0, 365 * 65, rows).astype("timedelta64[D]")
    # Postcodes cluster: ~3,000 delivery areas under ~300 city prefixes.
    city = rng.integers(100, 400, rows)
    postcode = city * 1000 + rng.integers(0, 10, rows) * 100 + rng.integers(0, 10, rows)
    frame = pl.DataFrame(
        {
            "sex": rng.choice(np.array(["男", "女"]), rows),
            "birth_date": born.astype(str),
            "postcode": pl.Series(postcode).cast(pl.Utf8).str.zfill(6),
            "occupation": rng.choice(np.array([f"职业{i:02d}" for i in range(20)]), rows),
            "diagnosis": rng.choice(np.array([f"诊断{i:02d}" for i in range(40)]), rows),
        }
    )
    quasi = ["sex", "birth_date", "postcode", "occupation"]
    print(f"table: {rows:,} rows x {len(quasi)} quasi-identifiers + 1 sensitive attribute")
    print(f"polars threads: {pl.thread_pool_size()}")

    clock = _Clock()
    risk = measure_risk(frame, quasi, ["diagnosis"])
    print(f"measure_risk: {clock} (k={risk.k}, classes={risk.equivalence_classes:,})")

    columns = [ColumnProfile(c, "str", rows, role="quasi") for c in quasi]
    columns.append(ColumnProfile("diagnosis", "str", rows, role="sensitive", sensitive=True))
    clock = _Clock()
    profile = auto_profile(columns, data=frame.head(20_000))
    search = search_k(frame, profile, k, 0.05)
    result = deidentify(frame, search.profile)
    print(
        f"auto de-identification (profile + k={k} search + apply): {clock} "
        f"({search.nodes_evaluated} of {search.lattice_size} step combinations evaluated; "
        f"k={result.risk.k}, {result.suppressed_records:,} records suppressed, "
        f"loss {search.loss:.3f})"
    )

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "people.csv"
        frame.write_csv(source)
        clock = _Clock()
        data = read_file(source)
        profile = auto_profile(columns, data=data.head(20_000))
        search = search_k(data, profile, k, 0.05)
        result = deidentify(data, search.profile)
        write_file(result.frame, Path(tmp) / "people.deid.csv")
        print(f"deidentify --auto with CSV read and write: {clock}")


class _Clock:
    """Wall and CPU seconds since creation, printed as '1.23 s (cpu 1.10 s)'."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def __str__(self) -> str:
        wall = time.perf_counter() - self.wall
        return f"{wall:.2f} s (cpu {time.process_time() - self.cpu:.2f} s)"


if __name__ == "__main__":
    main()
