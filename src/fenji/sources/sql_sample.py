"""Server-side, repeatable row samples for each database dialect.

Each plan reads about ``n`` rows, never the whole table into the client, and gives the same rows
for the same seed while the table is unchanged. Trade-offs (also in docs/sources.md):

- PostgreSQL: ``TABLESAMPLE BERNOULLI (p) REPEATABLE (seed)`` (row-level, uniform; the server
  still visits every page), or ``SYSTEM`` above ``SYSTEM_SAMPLE_ABOVE`` rows (page-level: fast,
  but rows of one page come together). ``p`` aims a few standard deviations above ``n`` rows
  and the client keeps exactly ``n`` with a seeded Polars sample, so no LIMIT cuts off the
  table's tail.
- MySQL/MariaDB have no TABLESAMPLE. Up to ``RAND_SORT_BELOW`` rows: ``ORDER BY RAND(seed)
  LIMIT n`` (uniform, but the server sorts the table). Above, with an integer primary key:
  ``CLUSTERS`` key ranges starting at seeded random points, each read through the index (cheap,
  but clustered). Otherwise the first ``n`` rows, with a note.
- SQLite: ``ORDER BY (rowid * 2654435761 + hash(seed)) % 2**32 LIMIT n``: a multiplicative hash of
  the rowid spreads the chosen rows evenly over the table (``random()`` cannot be seeded).
  WITHOUT ROWID tables fall back to the first ``n`` rows, with a note.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import sqlalchemy as sa

RAND_SORT_BELOW = 1_000_000
SYSTEM_SAMPLE_ABOVE = 10_000_000
CLUSTERS = 10
_KNUTH = 2654435761  # odd multiplier near 2**32 / golden ratio: consecutive rowids scatter


@dataclass(frozen=True)
class SamplePlan:
    """Statements whose results, concatenated, are the sample."""

    statements: tuple[sa.Select[tuple[object, ...]], ...]
    subsample: bool = False  # the client keeps n of the rows with a seeded sample
    note: str | None = None  # why the sample may not be uniform


def plan_sample(
    kind: str,
    conn: sa.Connection,
    base: sa.Select[tuple[object, ...]],
    table: sa.TableClause,
    n: int,
    seed: int,
    rows: int,
    int_pk: str | None,
) -> SamplePlan:
    """Plan a sample of ``n`` rows from a table of about ``rows`` rows (``rows`` > ``n``)."""
    if kind == "postgresql":
        return _postgresql(base, table, n, seed, rows)
    if kind == "mysql":
        return _mysql(conn, base, table, n, seed, rows, int_pk)
    return _sqlite(base, table, n, seed)


def _postgresql(
    base: sa.Select[tuple[object, ...]], table: sa.TableClause, n: int, seed: int, rows: int
) -> SamplePlan:
    # Aim four standard deviations above n, so that the seeded client-side cut almost surely
    # still has n rows to choose from.
    aim = n + 4 * math.sqrt(n) + 10
    percent = min(100.0, 100.0 * aim / max(rows, 1))
    method = sa.func.system if rows > SYSTEM_SAMPLE_ABOVE else sa.func.bernoulli
    sampled = sa.tablesample(table, method(percent), seed=sa.literal(seed % 2**31))
    # LIMIT only guards against a stale reltuples estimate far below the real size.
    stmt = base.select_from(sampled).limit(int(3 * aim))
    note = "page-level sample (TABLESAMPLE SYSTEM)" if rows > SYSTEM_SAMPLE_ABOVE else None
    return SamplePlan((stmt,), subsample=True, note=note)


def _mysql(
    conn: sa.Connection,
    base: sa.Select[tuple[object, ...]],
    table: sa.TableClause,
    n: int,
    seed: int,
    rows: int,
    int_pk: str | None,
) -> SamplePlan:
    source = base.select_from(table)
    if rows <= RAND_SORT_BELOW:
        return SamplePlan((source.order_by(sa.func.rand(seed % 2**31)).limit(n),))
    if int_pk is None:
        note = f"first {n:,} rows (large table without an integer primary key)"
        return SamplePlan((source.limit(n),), note=note)
    key: sa.ColumnClause[Any] = sa.column(int_pk)
    low, high = conn.execute(sa.select(sa.func.min(key), sa.func.max(key)).select_from(table)).one()
    if low is None:
        return SamplePlan((source.limit(n),))
    starts = np.unique(np.random.default_rng(seed).integers(int(low), int(high) + 1, CLUSTERS))
    per = -(-n // len(starts))
    statements = []
    for i, start in enumerate(starts.tolist()):
        where = key >= start
        if i + 1 < len(starts):
            where = sa.and_(where, key < int(starts[i + 1]))
        statements.append(source.where(where).order_by(key).limit(per))
    note = f"{len(starts)} clustered key ranges (large MySQL table)"
    return SamplePlan(tuple(statements), subsample=True, note=note)


def _sqlite(
    base: sa.Select[tuple[object, ...]], table: sa.TableClause, n: int, seed: int
) -> SamplePlan:
    # Seeds 1 and 2 must give different rows, so the seed moves the window by a hashed amount.
    shift = (seed * _KNUTH + 0x7F4A7C15) % 2**32
    scatter: sa.ColumnElement[Any] = (sa.literal_column("rowid") * _KNUTH + shift) % 2**32
    return SamplePlan((base.select_from(table).order_by(scatter).limit(n),))


def first_rows(base: sa.Select[tuple[object, ...]], table: sa.TableClause, n: int) -> SamplePlan:
    """Fallback plan: the first ``n`` rows the server returns."""
    return SamplePlan((base.select_from(table).limit(n),), note=f"first {n:,} rows")
