"""Benchmark tables: seeded Faker zh_CN customer records (``fenji.synth``), any number of rows.

    python -m bench.generate customers.csv --rows 200000 --seed 1
    python -m bench.generate big.csv --gigabytes 2     # about 2 GB, written chunk by chunk

Rows are made in chunks of ``CHUNK_ROWS`` (chunk *i* uses seed ``seed + i``) and appended to the
file, so a table far larger than memory is generated in bounded memory. Every identifier is valid
(check digits computed); ``fenji.synth.LABELS["customers"]`` says what each column holds.
Files are reused when they already exist with the same rows and seed (a ``.meta`` file beside
them records both).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from fenji.synth import LABELS, make_table

TABLE = "customers"
CHUNK_ROWS = 200_000
BYTES_PER_ROW = 230  # of the customers table as CSV, to size a file in gigabytes


def chunks(rows: int, seed: int) -> Iterator[pl.DataFrame]:
    """The table in chunks of at most ``CHUNK_ROWS`` rows."""
    for i, start in enumerate(range(0, rows, CHUNK_ROWS)):
        yield make_table(TABLE, min(CHUNK_ROWS, rows - start), seed + i)


def truth() -> dict[str, set[str]]:
    """Info types each column of the table really holds."""
    return LABELS[TABLE]


# Bumped whenever the generator's output changes, so cached files are made again.
GENERATOR_VERSION = 2


def _meta(rows: int, seed: int) -> dict[str, int]:
    return {"rows": rows, "seed": seed, "generator": GENERATOR_VERSION}


def _fresh(path: Path, rows: int, seed: int) -> bool:
    meta = path.with_name(path.name + ".meta")
    if path.exists() and meta.exists():
        return json.loads(meta.read_text()) == _meta(rows, seed)
    return False


def write(path: Path, rows: int, seed: int) -> Path:
    """Write ``rows`` rows as CSV or Parquet (by suffix), unless the file is already there."""
    if _fresh(path, rows, seed):
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    if path.suffix == ".parquet":
        writer: pq.ParquetWriter | None = None
        for chunk in chunks(rows, seed):
            table = chunk.to_arrow()
            writer = writer or pq.ParquetWriter(tmp, table.schema)
            writer.write_table(table)
        if writer is not None:
            writer.close()
    else:
        with tmp.open("wb") as fh:
            for i, chunk in enumerate(chunks(rows, seed)):
                chunk.write_csv(fh, include_header=i == 0)
    tmp.replace(path)
    path.with_name(path.name + ".meta").write_text(json.dumps(_meta(rows, seed)))
    return path


def rows_for(gigabytes: float) -> int:
    """Rows that make a CSV file of about ``gigabytes`` GB."""
    return int(gigabytes * 1e9 / BYTES_PER_ROW)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path, help="output file (.csv or .parquet)")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--rows", type=int, default=200_000)
    size.add_argument("--gigabytes", type=float, help="size the CSV in GB instead of rows")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rows = rows_for(args.gigabytes) if args.gigabytes else args.rows
    out = write(args.path, rows, args.seed)
    print(f"{out}: {rows:,} rows, {out.stat().st_size / 1e6:,.0f} MB")


if __name__ == "__main__":
    main()
