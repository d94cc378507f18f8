"""What Spark executors run: one function per job, over the Arrow batches of one partition.

Each task turns Spark's Arrow batches into Polars frames of about ``batch_rows`` rows, runs the
same detection code as a local scan (``fenji.detect.counts``) and yields one row per partition:
its id and a pickled payload of counts (sums, flags, signature tables, hashes, sketches). Raw
values leave a partition only in the first ``head_rows`` rows of the table, which the driver
needs for masked samples.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cache, partial

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa

from fenji.detect.counts import (
    ColumnPlan,
    ColumnStats,
    Evidence,
    column_text,
    count_evidence,
    merge_evidence,
    merge_stats,
    prepare,
)
from fenji.detect.normalize import normalize
from fenji.detect.probe import Flags, probe_flags
from fenji.detect.recognizer import RecognizerSet, load_recognizers
from fenji.detect.validators import birth_dates
from fenji.individuals import DEFAULT_LG_K, SketchBuilder, _hash_ints, _minor_cutoff, _prepare
from fenji.packs import load_pack
from fenji.stream import shown_non_empty

RESULT_SCHEMA = "part int, payload binary"  # one row per partition


@dataclass(frozen=True)
class Context:
    """What every task needs: the pack to load recognizers from, and the frame size."""

    pack: str = "general"
    catalogue_version: str | None = None
    batch_rows: int = 100_000
    bases: dict[str, ColumnPlan] = field(default_factory=dict)

    def recognizers(self) -> RecognizerSet:
        """The pack's recognizers, loaded once per executor process."""
        return _recognizers(self.pack, self.catalogue_version)


@cache
def _recognizers(pack: str, version: str | None) -> RecognizerSet:
    return load_recognizers(load_pack(pack, version).recognizers_path)


def frames(batches: Iterable[pa.RecordBatch], rows: int) -> Iterator[pl.DataFrame]:
    """Spark's Arrow batches (10,000 rows by default) regrouped into frames of ``rows`` rows."""
    buffer: list[pa.RecordBatch] = []
    held = 0
    for batch in batches:
        if batch.num_rows == 0:
            continue
        buffer.append(batch)
        held += batch.num_rows
        if held >= rows:
            yield _frame(buffer)
            buffer, held = [], 0
    if buffer:
        yield _frame(buffer)


def _frame(batches: list[pa.RecordBatch]) -> pl.DataFrame:
    frame = pl.from_arrow(pa.Table.from_batches(batches))
    assert isinstance(frame, pl.DataFrame)  # a Table always becomes a DataFrame
    return frame


def partition_id() -> int:
    """Id of the Spark partition this task works on (0 outside Spark, e.g. in tests)."""
    from pyspark import TaskContext

    ctx = TaskContext.get()
    return ctx.partitionId() if ctx is not None else 0


def _result(payload: object) -> pa.RecordBatch:
    return pa.RecordBatch.from_pydict(
        {
            "part": pa.array([partition_id()], pa.int32()),
            "payload": pa.array([pickle.dumps(payload)], pa.binary()),
        }
    )


@dataclass(frozen=True)
class Sizes:
    """Job 1 per partition: rows, column statistics, non-empty cells as reported."""

    rows: int
    stats: dict[str, ColumnStats]
    shown: dict[str, int]


def stats_task(ctx: Context, batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Job 1: the partition's row count and the plan-independent statistics of each column."""
    rs = ctx.recognizers()
    rows = 0
    stats = {c: ColumnStats() for c in ctx.bases}
    shown = dict.fromkeys(ctx.bases, 0)
    for frame in frames(batches, ctx.batch_rows):
        for c in frame.columns:
            prep = prepare(frame[c], column_text(frame[c], ctx.bases[c]), rs)
            stats[c] = merge_stats([stats[c], prep.stats])
            shown[c] += shown_non_empty(frame[c], prep)
        rows += frame.height
    yield _result(Sizes(rows, stats, shown))


def probe_task(
    ctx: Context,
    offsets: dict[int, int],
    positions: npt.NDArray[np.int64] | None,
    head_rows: int,
    batches: Iterable[pa.RecordBatch],
) -> Iterator[pa.RecordBatch]:
    """Job 2: probe flags of the table's probe rows in this partition, and the table's first
    ``head_rows`` rows if the partition holds any of them."""
    rs = ctx.recognizers()
    offset = offsets.get(partition_id(), 0)
    flags: dict[str, Flags] = {c: frozenset() for c in ctx.bases}
    head: list[pl.DataFrame] = []
    for frame in frames(batches, ctx.batch_rows):
        texts = pl.DataFrame([column_text(frame[c], ctx.bases[c]) for c in frame.columns])
        if positions is None:
            found = probe_flags(texts, rs)
        else:
            inside = positions[(positions >= offset) & (positions < offset + frame.height)]
            found = probe_flags(texts[inside - offset], rs) if inside.size else {}
        for c, f in found.items():
            flags[c] = flags[c] | f
        if offset < head_rows:
            head.append(frame.head(head_rows - offset))
        offset += frame.height
    yield _result((flags, pl.concat(head) if head else None))


def evidence_task(
    ctx: Context, plans: dict[str, ColumnPlan], batches: Iterable[pa.RecordBatch]
) -> Iterator[pa.RecordBatch]:
    """Job 3: evidence of every column under its final plan, merged over the partition."""
    rs = ctx.recognizers()
    parts: dict[str, list[Evidence]] = {c: [] for c in plans}
    for frame in frames(batches, ctx.batch_rows):
        for c, plan in plans.items():
            prep = prepare(frame[c], column_text(frame[c], plan), rs)
            parts[c] = [merge_evidence([*parts[c], count_evidence(prep, plan, rs)])]
    yield _result({c: p[0] for c, p in parts.items() if p})


@dataclass(frozen=True)
class Sketches:
    """Job 4 per partition: HLL sketches of the keyed hashes of the identifier column."""

    people: bytes
    minors: bytes | None


def individuals_task(
    ctx: Context,
    column: str,
    info_type: str,
    key: bytes,
    today: date,
    batches: Iterable[pa.RecordBatch],
) -> Iterator[pa.RecordBatch]:
    """Job 4: keyed hashes of the normalised identifiers of ``column`` into HLL sketches.

    The same steps as ``fenji.individuals.estimate_individuals``; the driver unions the sketches.
    """
    rs = ctx.recognizers()
    people = SketchBuilder(DEFAULT_LG_K)
    minors = SketchBuilder(DEFAULT_LG_K) if info_type == "CN_RESIDENT_ID" else None
    cutoff = _minor_cutoff(today)
    normalise = partial(normalize, info_type=info_type, rs=rs)
    for frame in frames(batches, ctx.batch_rows):
        uniq = _prepare(frame.get_column(column), normalise)
        ints = _hash_ints(uniq, key)
        people.update_ints(np.sort(ints).tolist())
        if minors is not None:
            born = birth_dates(uniq).cast(pl.Date)
            young = ((born > cutoff) & (born <= today)).fill_null(False).to_numpy()
            minors.update_ints(np.sort(ints[young]).tolist())
    yield _result(Sketches(people.serialize(), minors.serialize() if minors else None))


def payloads(rows: Iterable[object]) -> list[tuple[int, object]]:
    """(partition id, payload) of collected result rows, in partition order."""
    out = [(int(r["part"]), pickle.loads(bytes(r["payload"]))) for r in rows]  # type: ignore[index]
    return sorted(out, key=lambda p: p[0])
