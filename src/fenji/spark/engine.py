"""Driver side of the Spark engine: four small jobs per DataFrame, then the local verdict.

1. statistics: each partition's row count and column statistics (``ColumnStats``);
2. probe: the table's probe rows (evenly spaced over the row count, located by partition offset)
   give the probe flags, hence each column's plan; the first rows come back for masked samples;
3. evidence: every partition counts its columns under the final plans; the driver merges;
4. individuals: keyed hashes of the chosen identifier column into per-partition HLL sketches,
   unioned on the driver.

The verdict, grading and report are the local engine's (``fenji.stream``, ``fenji.grade``), so
the findings equal a local ``--sample all`` scan of the same rows; the individuals estimate comes
from a sketch union and agrees within the HLL error.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from functools import partial
from typing import TYPE_CHECKING, Any

import polars as pl
import pyarrow as pa

from fenji.detect.counts import (
    ColumnPlan,
    Evidence,
    base_plan,
    merge_evidence,
    merge_stats,
    no_evidence,
    plan_column,
)
from fenji.detect.probe import probe_positions
from fenji.grade import grade_table
from fenji.individuals import SketchBuilder, choose_key
from fenji.model import ColumnProfile, Individuals, TableProfile
from fenji.packs import Pack
from fenji.spark.tasks import (
    RESULT_SCHEMA,
    Context,
    Sizes,
    Sketches,
    evidence_task,
    individuals_task,
    payloads,
    probe_task,
    stats_task,
)
from fenji.stream_profiles import SAMPLE_ROWS, Counted, column_profiles

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


def _collect(df: DataFrame, task: Any) -> list[tuple[int, Any]]:
    return payloads(df.mapInArrow(task, RESULT_SCHEMA).collect())


def polars_schema(df: DataFrame) -> dict[str, pl.DataType]:
    """The Polars dtypes the executors' frames will have (from Spark's Arrow schema)."""
    from pyspark.sql.pandas.types import to_arrow_schema

    tz = df.sparkSession.conf.get("spark.sql.session.timeZone")
    arrow = to_arrow_schema(df.schema, timezone=tz)
    frame = pl.from_arrow(pa.Table.from_batches([], schema=arrow))
    assert isinstance(frame, pl.DataFrame)
    return dict(frame.schema)


def count_dataframe(df: DataFrame, ctx: Context) -> Counted:
    """Jobs 1-3: the merged counts of every column of ``df`` and their final plans."""
    rs = ctx.recognizers()
    dtypes = polars_schema(df)
    ctx = replace(ctx, bases={c: base_plan(c, t, rs) for c, t in dtypes.items()})
    sizes: list[tuple[int, Sizes]] = _collect(df, partial(stats_task, ctx))
    offsets, rows = {}, 0
    for part, size in sizes:
        offsets[part], rows = rows, rows + size.rows
    stats = {c: merge_stats(s.stats[c] for _, s in sizes) for c in dtypes}
    shown = {c: sum(s.shown[c] for _, s in sizes) for c in dtypes}
    positions = probe_positions(rows, rs.settings.probe_rows)
    probed = _collect(df, partial(probe_task, ctx, offsets, positions, SAMPLE_ROWS))
    plans: dict[str, ColumnPlan] = {}
    for c, base in ctx.bases.items():
        flags = frozenset().union(*(f[c] for _, (f, _) in probed))
        plans[c] = plan_column(base, flags, stats[c].free_text(rs), rs)
    heads = [h for _, (_, h) in probed if h is not None and h.height]
    head = pl.concat(heads).head(SAMPLE_ROWS) if heads else pl.DataFrame(schema=dtypes)
    counted: list[tuple[int, dict[str, Evidence]]] = _collect(
        df, partial(evidence_task, ctx, plans)
    )
    evidence = {
        c: merge_evidence([ev[c] for _, ev in counted if c in ev] or [no_evidence(plan)])
        for c, plan in plans.items()
    }
    return Counted(rows, stats, evidence, plans, dtypes, head, shown)


def count_individuals(
    df: DataFrame,
    ctx: Context,
    columns: tuple[ColumnProfile, ...],
    key: bytes,
    today: date | None = None,
) -> Individuals | None:
    """Job 4: distinct individuals of the strongest identifier column (None without one)."""
    chosen = choose_key(columns)
    if chosen is None:
        return None
    column, info_type = chosen
    today = today or date.today()
    task = partial(individuals_task, ctx, column, info_type, key, today)
    sketches: list[tuple[int, Sketches]] = _collect(df.select(column), task)
    people = SketchBuilder()
    people.merge(*(s.people for _, s in sketches))
    minors = None
    if info_type == "CN_RESIDENT_ID":
        young = SketchBuilder()
        young.merge(*(s.minors for _, s in sketches if s.minors is not None))
        minors = young.estimate()
    return Individuals(
        estimate=people.estimate(),
        key=info_type,
        column=column,
        sketch=people.serialize(),
        minors_under_14=minors,
    )


def profile_dataframe(
    df: DataFrame,
    name: str,
    ctx: Context,
    pack: Pack,
    *,
    key: bytes,
    individuals: bool = True,
    today: date | None = None,
    rows: int | None = None,
    warnings: tuple[str, ...] = (),
) -> TableProfile:
    """One Spark DataFrame as a ``TableProfile`` (``rows``: the table's size when ``df`` is a
    sample of it)."""
    rs = ctx.recognizers()
    counted = count_dataframe(df, ctx)
    columns = column_profiles(counted, pack, rs)
    people = count_individuals(df, ctx, columns, key, today) if individuals else None
    return TableProfile(
        name=name,
        rows=counted.rows if rows is None else rows,
        rows_exact=True,
        rows_sampled=counted.rows,
        columns=columns,
        individuals=people,
        grade=grade_table(columns, people, pack),
        warnings=warnings,
    )
