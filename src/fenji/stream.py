"""Full-column scans that never hold a whole table: batches through the mergeable counts.

``fenji scan --sample all`` reads every row. ``stream_columns(reader, ...)`` streams the table's
batches (``TableReader.iter_batches``) through ``fenji.detect.counts`` and returns the same column
profiles ``classify_frame`` would give on the whole table in memory, holding one batch, the probe
flags, the summed counts and the first ``SAMPLE_ROWS`` rows (for masked samples) at a time.

One pass is enough in the usual case. The probe rows (evenly spaced over the whole table) decide
which recognizers count; the later ones are only known once their batch arrives, so the first
batch counts under a generous guess (its own probe ∪ the table probe rows it holds, free text if
its cells look anything like it) and a column whose final plan the guess did not cover is counted
again in a second pass over that column alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import replace
from functools import partial

import numpy as np
import polars as pl

from fenji.detect.counts import (
    ColumnPlan,
    ColumnStats,
    Evidence,
    Prepared,
    base_plan,
    column_text,
    count_evidence,
    merge_evidence,
    merge_stats,
    plan_column,
    prepare,
)
from fenji.detect.probe import Flags, probe_flags, probe_positions
from fenji.detect.recognizer import RecognizerSet
from fenji.model import ColumnProfile
from fenji.packs import Pack
from fenji.sources import TableReader
from fenji.stream_batches import pool as _pool
from fenji.stream_batches import release_memory, stream_batch_rows
from fenji.stream_profiles import SAMPLE_ROWS, Counted, column_profiles

FREE_TEXT_GUESS = 0.8  # the first batch counts text matches a little below the thresholds
_MERGE_EVERY = 16  # batches of evidence held before they are merged
PROBE_FLUSH = 1024  # table probe rows gathered before they are probed together


class _Pending:
    """Evidence of one column batch by batch, merged every few batches to bound memory."""

    def __init__(self) -> None:
        self.parts: list[Evidence] = []

    def add(self, ev: Evidence) -> None:
        self.parts.append(ev)
        if len(self.parts) >= _MERGE_EVERY:
            self.parts = [merge_evidence(self.parts)]

    def merged(self) -> Evidence:
        return merge_evidence(self.parts)


def shown_non_empty(raw: pl.Series, prep: Prepared) -> int:
    """Non-empty cells as ``ColumnProfile.non_empty`` counts them (text of the raw value)."""
    if raw.dtype == pl.String:
        return prep.stats.filled
    text = raw.cast(pl.Utf8, strict=False)
    return int(text.str.strip_chars().str.len_chars().gt(0).sum() or 0)


class TableCounter:
    """Counts one table batch by batch (``add``), then says which columns need a second pass.

    ``rows`` is the table's exact row count: the probe rows are evenly spaced over it.
    """

    def __init__(self, rows: int, rs: RecognizerSet) -> None:
        self.rs = rs
        self.rows = rows
        self.positions = probe_positions(rows, rs.settings.probe_rows)
        self.offset = 0
        self.bases: dict[str, ColumnPlan] = {}
        self.dtypes: dict[str, pl.DataType] = {}
        self.flags: dict[str, Flags] = {}
        self.guess: dict[str, ColumnPlan] = {}  # plans the first pass counts under
        self.dirty: set[str] = set()  # columns whose guess turned out too narrow
        self.stats: dict[str, list[ColumnStats]] = {}
        self.shown: dict[str, int] = {}
        self.pending: dict[str, _Pending] = {}
        self.heads: list[pl.DataFrame] = []
        self.head_rows = 0
        self.kept: list[pl.DataFrame] = []  # the table probe rows so far
        self.probed = 0  # how many of ``kept`` have been probed
        # Columns every probe searches as text: those whose first batch looks like free text.
        self.searching: set[str] = set()
        self.cost: dict[str, float] = {}  # seconds each column took on the last batch

    def _probe_rows(self, height: int) -> np.ndarray | None:
        """Positions of this batch's rows that are table probe rows (None: all of them)."""
        if self.positions is None:
            return None
        inside = self.positions[
            (self.positions >= self.offset) & (self.positions < self.offset + height)
        ]
        return inside - self.offset

    def add(self, batch: pl.DataFrame) -> None:
        """Count one batch (every batch of the table, in order, exactly once)."""
        rs = self.rs
        first = not self.bases
        if first:
            self.dtypes = dict(batch.schema)
            self.bases = {c: base_plan(c, t, rs) for c, t in self.dtypes.items()}
            self.flags = {c: frozenset() for c in batch.columns}
            self.stats = {c: [] for c in batch.columns}
            self.shown = dict.fromkeys(batch.columns, 0)
            self.pending = {c: _Pending() for c in batch.columns}
        texts = pl.DataFrame([column_text(batch[c], self.bases[c]) for c in batch.columns])
        rows = self._probe_rows(batch.height)
        held = texts if rows is None else texts[rows]
        if held.height:
            self.kept.append(held)
        waiting = sum(k.height for k in self.kept[self.probed :])
        # The first batch's probe rows are probed with its guess, in one call; later ones once
        # enough have gathered, and at the last batch. That probe runs beside the counting: a
        # column it finds the guess too narrow for is counted again anyway.
        last = self.offset + batch.height >= self.rows
        flushed = not first and waiting > 0 and (waiting >= PROBE_FLUSH or last)
        if self.head_rows < SAMPLE_ROWS:
            self.heads.append(batch.head(SAMPLE_ROWS - self.head_rows))
            self.head_rows += self.heads[-1].height
        probing: Future[None] | None = None
        with _pool(batch.width) as pool:
            if first:
                # The whole-cell probe runs first, beside the columns' preparation; each column
                # then takes its guess from the probe and its own statistics, and is counted.
                probe = self._probe_frame(self._local_rows(texts))
                cells = pool.submit(probe_flags, probe[0], rs, ()) if probe else None
                guess = partial(self._guess, probe=probe, cells=cells)
                # Biggest columns first (no timings yet), so none starts last and runs alone.
                sizes = texts.select(pl.all().str.len_bytes().sum().fill_null(0)).row(0, named=True)
                order = sorted(batch.columns, key=lambda c: -sizes[c])
                results = pool.map(lambda c: self._count(c, batch, texts, guess), order)
            else:
                probing = pool.submit(self._flush) if flushed else None
                # The costliest columns first (as timed on the previous batch).
                order = sorted(batch.columns, key=lambda c: -self.cost.get(c, 0.0))
                results = pool.map(lambda c: self._count(c, batch, texts), order)
            preps = dict(zip(order, results, strict=True))  # waits for every column
            if probing is not None:
                probing.result()
                self._check()
        for c, prep in preps.items():
            self.stats[c].append(prep.stats)
            self.shown[c] += shown_non_empty(batch[c], prep)
        self.offset += batch.height
        release_memory()

    def _count(
        self,
        c: str,
        batch: pl.DataFrame,
        texts: pl.DataFrame,
        guess: Callable[[str, Prepared], None] | None = None,
    ) -> Prepared:
        """Prepare and count one column of a batch (the first batch ``guess``-es its plan in
        between); notes how long it took."""
        started = time.perf_counter()
        prep = prepare(batch[c], texts[c], self.rs)
        if guess is not None:  # the wait for the probe is not the column's cost
            waited = time.perf_counter()
            guess(c, prep)
            started += time.perf_counter() - waited
        if c not in self.dirty:
            self.pending[c].add(count_evidence(prep, self.guess[c], self.rs))
        self.cost[c] = time.perf_counter() - started
        return replace(prep, buffers=None)  # the batch's bytes are not kept past counting

    def _probe_frame(
        self, extra: pl.DataFrame | None
    ) -> tuple[pl.DataFrame, dict[str, str]] | None:
        """The table probe rows not yet probed (now counted as probed) and the ``extra`` rows
        beside them under the names returned, padded with nulls (which match nothing): one
        frame, so that one probe run covers both, as each run has a fixed cost."""
        waiting = self.kept[self.probed :]
        held = pl.concat(waiting) if waiting else None
        self.probed = len(self.kept)
        if extra is None:
            return (held, {}) if held is not None else None
        names = {c: f"{c}\x00extra" for c in extra.columns}
        parts = [extra.rename(names)] + ([held] if held is not None else [])
        height = max(p.height for p in parts)
        padded = [p.vstack(p.clear(height - p.height)) for p in parts]
        return pl.concat(padded, how="horizontal"), names

    def _flush(self) -> None:
        """Probe the table probe rows gathered so far; the ``searching`` columns are also
        searched inside their cells ("text" flags)."""
        probe = self._probe_frame(None)
        if probe is not None:
            for c, f in probe_flags(probe[0], self.rs, self.searching).items():
                self.flags[c] = self.flags[c] | f

    def _local_rows(self, texts: pl.DataFrame) -> pl.DataFrame | None:
        """The first batch's own evenly spaced rows, when it holds few table probe rows (a big
        table), else None."""
        held = self._probe_rows(texts.height)
        if held is None or len(held) >= self.rs.settings.probe_rows // 2:
            return None
        local = probe_positions(texts.height, self.rs.settings.probe_rows)
        return texts if local is None else texts[local]

    def _guess(
        self,
        c: str,
        prep: Prepared,
        probe: tuple[pl.DataFrame, dict[str, str]] | None,
        cells: Future[dict[str, Flags]] | None,
    ) -> None:
        """Column ``c``'s plan for the first pass, from the whole-cell ``cells`` flags of
        ``probe`` (the table probe rows in this batch, and its own rows beside them when those
        are few) and, when its cells look like free text, a text search of its probe rows. A
        column searched so is searched as text in every later probe too, so its text flags
        cover all probe rows by the end."""
        rs = self.rs
        free = _maybe_free(prep.stats, rs)
        if free:
            self.searching.add(c)
        flags = dict(cells.result()) if cells is not None else {}
        names = probe[1] if probe is not None else {}
        mine = [c, names[c]] if c in names else [c]
        if probe is not None and free:
            frame = probe[0].select(n for n in mine if n in probe[0].columns)
            for n, f in probe_flags(frame, rs, frame.columns, cell=False).items():
                flags[n] = flags.get(n, frozenset()) | f
        self.flags[c] = self.flags[c] | flags.get(c, frozenset())
        extra = flags.get(names[c], frozenset()) if c in names else frozenset()
        self.guess[c] = plan_column(self.bases[c], self.flags[c] | extra, free, rs)

    def _check(self) -> None:
        """Mark columns whose probe flags now ask for recognizers the guess does not count."""
        for c, plan in self.guess.items():
            if c not in self.dirty and not plan.covers(
                plan_column(self.bases[c], self.flags[c], False, self.rs)
            ):
                self.dirty.add(c)

    def finish(self) -> tuple[dict[str, ColumnStats], dict[str, ColumnPlan], list[str]]:
        """Merged statistics, the final plans, and the columns to count again."""
        self._flush()
        stats = {c: merge_stats(parts) for c, parts in self.stats.items()}
        free = [c for c in self.bases if stats[c].free_text(self.rs)]
        unsearched = [c for c in free if c not in self.searching]
        if unsearched and self.kept:
            kept = pl.concat(self.kept).select(unsearched)
            for c, f in probe_flags(kept, self.rs, unsearched, cell=False).items():
                self.flags[c] = self.flags[c] | f
        plans = {
            c: plan_column(b, self.flags[c], c in free, self.rs) for c, b in self.bases.items()
        }
        again = [c for c in self.bases if c in self.dirty or not self.guess[c].covers(plans[c])]
        return stats, plans, again

    def head(self) -> pl.DataFrame:
        """The first rows of the table (for masked samples)."""
        return pl.concat(self.heads) if self.heads else pl.DataFrame(schema=self.dtypes)


def _maybe_free(stats: ColumnStats, rs: RecognizerSet) -> bool:
    """Could this column be free text? Lenient: a wrong yes costs time, a wrong no a re-count."""
    s = rs.settings
    share = stats.prose / stats.non_empty if stats.non_empty else 0.0
    return stats.mean_chars >= FREE_TEXT_GUESS * s.free_text_min_mean_chars and (
        share >= FREE_TEXT_GUESS * s.free_text_min_text_share
    )


def count_table(
    batches: Iterable[pl.DataFrame],
    rows: int,
    rs: RecognizerSet,
    again: Callable[[list[str]], Iterator[pl.DataFrame]] | None = None,
    empty: Callable[[], pl.DataFrame] | None = None,
) -> Counted:
    """Count a table streamed as ``batches`` (``rows`` = its exact row count).

    ``again(columns)`` streams the named columns once more; it is called only for columns
    whose first-pass plan was too narrow. ``empty()`` gives the table's columns when no batch
    comes at all (an empty table).
    """
    counter = TableCounter(rows, rs)
    for batch in batches:
        counter.add(batch)
    if not counter.bases and empty is not None:
        counter.add(empty())
    stats, plans, redo = counter.finish()
    kept = [c for c in plans if c not in redo]
    with _pool(len(kept)) as pool:  # the merges sort hash arrays: numpy does that without the GIL
        merged = pool.map(lambda c: counter.pending[c].merged(), kept)
        evidence = dict(zip(kept, merged, strict=True))
    if redo:
        if again is None:
            raise ValueError(f"columns {redo} need a second pass and no way to read them again")
        fresh = {c: _Pending() for c in redo}
        with _pool(len(redo)) as pool:
            for batch in again(redo):
                for c, ev in zip(redo, pool.map(_recount(batch, plans, rs), redo), strict=True):
                    fresh[c].add(ev)
                release_memory()
        evidence.update({c: p.merged() for c, p in fresh.items()})
    return Counted(
        rows=counter.offset,
        stats=stats,
        evidence={c: evidence[c] for c in plans},
        plans=plans,
        dtypes=counter.dtypes,
        head=counter.head(),
        shown=counter.shown,
    )


def _recount(
    batch: pl.DataFrame, plans: dict[str, ColumnPlan], rs: RecognizerSet
) -> Callable[[str], Evidence]:
    def count(c: str) -> Evidence:
        return count_evidence(prepare(batch[c], column_text(batch[c], plans[c]), rs), plans[c], rs)

    return count


def stream_columns(
    reader: TableReader,
    rows: int | None,
    pack: Pack,
    rs: RecognizerSet,
    batch_rows: int,
    columns: Sequence[str] | None = None,
) -> tuple[int, tuple[ColumnProfile, ...]]:
    """(rows read, column profiles) of a whole table, streamed in batches of ``batch_rows``.

    ``rows`` is the exact row count when known; otherwise one column is streamed to count it.
    """
    names = list(columns) if columns is not None else reader.columns()
    if rows is None:
        rows = sum(b.height for b in reader.iter_batches(names[:1], batch_rows))
    batch_rows = min(batch_rows, stream_batch_rows(reader))
    counted = count_table(
        reader.iter_batches(names, batch_rows),
        rows,
        rs,
        again=lambda cols: reader.iter_batches(cols, batch_rows),
        empty=lambda: reader.sample(0, 0),
    )
    return counted.rows, column_profiles(counted, pack, rs)
