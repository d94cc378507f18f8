"""Mergeable evidence counts: what the column classifier's verdict needs, summed over batches.

``classify_frame`` judges a whole frame at once. Streaming scans and Spark partitions see a table
in pieces, so the classifier is split in three steps that meet in the middle:

1. **plan** (``ColumnPlan``): which recognizers run on a column. It comes from the probe rows
   (``probe_flags``; flags from several batches merge by union), the column name and, for free
   text, the column's statistics;
2. **count** (``count_column``): per batch, ``ColumnStats`` (plain sums) and ``Evidence``: for
   whole-cell recognizers a *signature table* (each distinct vector of per-recognizer confidences,
   -1 for "no match", with the number of cells that have it), for text recognizers sums and a
   histogram of confidences, and for name-like columns the exact set of distinct value hashes.
   Every part merges exactly (``merge_stats``, ``merge_evidence``), in any order;
3. **verdict** (``fenji.detect.column.verdict_from_counts``): the thresholds and scores of
   ``classify_frame``, computed from the merged counts.

Because ``classify_frame`` itself runs these three steps over its one frame, a table counted in
batches or partitions gets exactly the findings the classifier gives on the whole table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt
import polars as pl

from fenji.detect.column_eval import BoolArray, IntArray, TextEval, evaluate
from fenji.detect.column_exprs import as_text
from fenji.detect.counts_parts import (
    NO_HASHES,
    NO_MATCH,
    Distinct,
    Signatures,
    TextCounts,
    distinct_of,
    group_signatures,
    merge_distinct,
    merge_text,
    sorted_unique,
)
from fenji.detect.hints import column_hint
from fenji.detect.probe import Flags
from fenji.detect.recognizer import RecognizerSet
from fenji.detect.validators_core import Buffers, utf8_buffers

# Columns whose rows are mostly distinct are not reduced to distinct values first: counting them
# would cost more than it saves. Decided on a slice of each batch, and where the slice is mostly
# but not all distinct (names, dates of birth: a few thousand rows repeat little, a whole batch
# a lot) on an estimate over the batch (HLL, about 1 ms per 100,000 cells).
DEDUPE_BELOW = 0.5
_DEDUPE_PROBE = 2000
_ALL_DISTINCT = 0.99


@dataclass(frozen=True)
class ColumnPlan:
    """Which recognizers judge one column, and how.

    ``cell`` pairs each whole-cell recognizer with whether the column name hints at it (then its
    hint-only patterns count too); ``text`` lists the recognizers searched inside free text.
    """

    name: str
    hints: tuple[tuple[str, str | None], ...]  # (recognizer id, hint word or None), set order
    blank: bool = False  # date/time column without any hint: only its name can speak
    cell: tuple[tuple[str, bool], ...] = ()
    text: tuple[str, ...] = ()
    distinct: bool = False  # count distinct values (a recognizer needs a distinct share)

    def hint(self, recognizer_id: str) -> str | None:
        """The column-name hint for a recognizer (None without one)."""
        return dict(self.hints).get(recognizer_id)

    def covers(self, other: ColumnPlan) -> bool:
        """True when counts made under this plan hold everything ``other`` needs."""
        return (
            set(other.cell) <= set(self.cell)
            and set(other.text) <= set(self.text)
            and (self.distinct or not other.distinct)
        )


def base_plan(name: str, dtype: pl.DataType, rs: RecognizerSet) -> ColumnPlan:
    """The part of a plan that depends on the column's name and type only."""
    hints = tuple(
        (r.id, column_hint(name, r.hints, r.hints_not, rs.settings.hint_vetoes))
        for r in rs.recognizers
    )
    blank = dtype.is_temporal() and not any(h for _, h in hints)
    return ColumnPlan(name, hints, blank)


def column_text(raw: pl.Series, plan: ColumnPlan) -> pl.Series:
    """The column as Utf8 for matching (all null for a blank date/time column)."""
    if plan.blank:
        return pl.Series(raw.name, [None] * len(raw), dtype=pl.String)
    return as_text(raw)


# --- statistics (plan-independent) -------------------------------------------------------------


@dataclass(frozen=True)
class ColumnStats:
    """Plain sums over a column's cells; ``merge_stats`` adds them."""

    rows: int = 0
    raw_non_null: int = 0  # non-null raw values (binary and nested ones included)
    text_non_null: int = 0
    filled: int = 0  # cells with text other than whitespace
    chars: int = 0  # characters in those cells
    prose: int = 0  # filled cells long enough with a space or a non-ASCII character

    @property
    def non_empty(self) -> int:
        """Cells the verdict weighs; a column without text (binary, nested, blank dates)
        counts its non-null values, so that only its name can speak for it."""
        if self.filled:
            return self.filled
        return self.raw_non_null if self.text_non_null == 0 else 0

    @property
    def mean_chars(self) -> float:
        """Mean characters per filled cell (0 without any)."""
        return self.chars / self.filled if self.filled else 0.0

    def text_share(self, rs: RecognizerSet) -> float:
        """Share of prose-like cells (0 unless the cells are long enough to be free text)."""
        if not self.filled or self.mean_chars < rs.settings.free_text_min_mean_chars:
            return 0.0
        return self.prose / self.non_empty

    def free_text(self, rs: RecognizerSet) -> bool:
        """Remarks, comments, logs: searched inside for every text recognizer."""
        s = rs.settings
        return self.mean_chars >= s.free_text_min_mean_chars and (
            self.text_share(rs) >= s.free_text_min_text_share
        )


def merge_stats(parts: Iterable[ColumnStats]) -> ColumnStats:
    """The statistics of the concatenated columns."""
    total = ColumnStats()
    for p in parts:
        total = ColumnStats(
            total.rows + p.rows,
            total.raw_non_null + p.raw_non_null,
            total.text_non_null + p.text_non_null,
            total.filled + p.filled,
            total.chars + p.chars,
            total.prose + p.prose,
        )
    return total


# --- evidence (plan-dependent) -----------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """Everything the verdict reads about one column under one plan; ``merge_evidence`` adds."""

    plan: ColumnPlan
    cells: Signatures
    text: tuple[tuple[str, TextCounts], ...] = ()
    distinct: Distinct | None = None

    def text_counts(self, recognizer_id: str) -> TextCounts:
        """Counts of one text recognizer (zeros when it did not run)."""
        return dict(self.text).get(recognizer_id, TextCounts())


def merge_evidence(parts: Iterable[Evidence]) -> Evidence:
    """The evidence of the concatenated columns (all parts counted under the same plan)."""
    parts = list(parts)
    if not parts:
        raise ValueError("merge_evidence needs at least one part")
    plan = parts[0].plan
    if any(p.plan != plan for p in parts):
        raise ValueError(f"column {plan.name!r}: evidence counted under different plans")
    recs = parts[0].cells.recs
    cells = group_signatures(
        recs,
        np.concatenate([p.cells.table for p in parts], axis=0),
        np.concatenate([p.cells.weights for p in parts]),
    )
    text = tuple((r, merge_text(p.text_counts(r) for p in parts)) for r in plan.text)
    distinct = merge_distinct(p.distinct for p in parts if p.distinct) if plan.distinct else None
    return Evidence(plan, cells, text, distinct)


def restrict(evidence: Evidence, plan: ColumnPlan) -> Evidence:
    """Evidence counted under a wider plan, cut down to ``plan`` (which it must cover)."""
    if not evidence.plan.covers(plan):
        raise ValueError(f"column {plan.name!r}: counts do not cover the plan")
    cells = evidence.cells.project(tuple(r for r, _ in plan.cell))
    text = tuple((r, evidence.text_counts(r)) for r in plan.text)
    return Evidence(plan, cells, text, evidence.distinct if plan.distinct else None)


# --- counting one batch ------------------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    """A column's non-empty values (distinct when worth it), their weights and statistics."""

    values: pl.Series
    weights: IntArray
    stats: ColumnStats
    buffers: Buffers | None = field(default=None, compare=False)  # of ``values``, when read


def prepare(raw: pl.Series, text: pl.Series, rs: RecognizerSet) -> Prepared:
    """Non-empty values and statistics of one batch of a column (``text`` = ``column_text``)."""
    filled_text = text.drop_nulls()
    head = filled_text.head(_DEDUPE_PROBE)
    share = head.n_unique() / head.len() if head.len() else 1.0
    if share < DEDUPE_BELOW or (
        share < _ALL_DISTINCT
        and int(pl.select(pl.lit(filled_text).approx_n_unique()).item())
        < DEDUPE_BELOW * len(filled_text)
    ):
        counts = filled_text.value_counts(name="\x00n")
        values, weights = counts[text.name], counts["\x00n"].to_numpy()
    else:
        values, weights = filled_text, np.ones(len(filled_text), dtype=np.int64)
    buffers = _ascii_first_buffers(values)
    nchars, filled, wordy = _facts(values, buffers)
    if not filled.all():  # blank cells are dropped (most columns have none: no copy)
        values, weights = values.filter(pl.Series(filled)), weights[filled]
        nchars, wordy, buffers = nchars[filled], wordy[filled], None
    weights = weights.astype(np.int64, copy=False)
    long = nchars >= rs.settings.free_text_min_cell_chars
    prose = int(weights[long & wordy].sum())
    stats = ColumnStats(
        rows=len(raw),
        raw_non_null=len(raw) - raw.null_count(),
        text_non_null=len(text) - text.null_count(),
        filled=int(weights.sum()),
        chars=int((nchars * weights).sum()),
        prose=prose,
    )
    return Prepared(values, weights, stats, buffers)


_SPACE = r"[\t-\r ]"  # the ASCII part of Unicode White_Space


def cell_facts(values: pl.Series) -> tuple[IntArray, BoolArray, BoolArray]:
    """Per (non-null) cell: characters; filled, holding anything but whitespace (Unicode
    White_Space, which ``str.strip_chars`` trims); wordy, with a space or a non-ASCII character.

    An all-ASCII column (identifiers, codes, dates) takes its lengths from the Arrow offsets,
    and needs a search only where a byte could be whitespace; a mostly ASCII one (phone numbers,
    a few in full-width digits) does so too, with one Polars pass over its other cells; text
    takes one Polars pass for the three.
    """
    return _facts(values, _ascii_first_buffers(values))


def _ascii_first_buffers(values: pl.Series) -> Buffers | None:
    """The Arrow bytes of ``values``, unless its first cell is not ASCII: text, for which
    reading them would not pay (they are read again where needed)."""
    first = values.head(1).to_list()
    return None if first and not first[0].isascii() else utf8_buffers(values)


def _facts(values: pl.Series, buffers: Buffers | None) -> tuple[IntArray, BoolArray, BoolArray]:
    data, offsets = buffers if buffers is not None else (None, None)
    if data is None or offsets is None:
        return _polars_facts(values)
    if not data.size or data.max() < 0x80:
        return _ascii_facts(values, data, offsets)
    # Mostly ASCII (identifiers with a few full-width cells): the Polars pass only over the
    # cells holding a non-ASCII byte, the offsets for the rest.
    rows = np.flatnonzero(_any_per_cell(data >= 0x80, offsets))
    if 2 * rows.size > len(values):
        return _polars_facts(values)
    nchars, filled, wordy = _ascii_facts(values, data, offsets)
    nchars[rows], filled[rows], wordy[rows] = _polars_facts(values.gather(rows))
    return nchars, filled, wordy


def _polars_facts(values: pl.Series) -> tuple[IntArray, BoolArray, BoolArray]:
    v = pl.col("v")
    n = v.str.len_chars()
    facts = pl.DataFrame({"v": values}).select(
        n.alias("n"),
        (v.str.strip_chars().str.len_bytes() > 0).alias("f"),
        ((v.str.len_bytes() != n) | v.str.contains(_SPACE)).alias("w"),
    )
    return (
        facts["n"].to_numpy().astype(np.int64),
        facts["f"].to_numpy(),
        facts["w"].to_numpy(),
    )


def _ascii_facts(
    values: pl.Series, data: npt.NDArray[np.uint8], offsets: IntArray
) -> tuple[IntArray, BoolArray, BoolArray]:
    """The facts of ASCII cells from their bytes (cells holding other bytes get wrong ones)."""
    nchars = np.diff(offsets).astype(np.int64)
    filled = nchars > 0
    wordy = np.zeros(len(nchars), dtype=bool)
    if not data.size or not (data <= 0x20).any():  # no byte is whitespace
        return nchars, filled, wordy
    wordy = _any_per_cell(((data - np.uint8(9)) <= 4) | (data == 0x20), offsets)  # _SPACE
    rows = np.flatnonzero(wordy)  # only these can be all whitespace
    filled[rows] = values.gather(rows).str.strip_chars().str.len_bytes().to_numpy() > 0
    return nchars, filled, wordy


def _any_per_cell(hits: BoolArray, offsets: IntArray) -> BoolArray:
    """Per cell, whether any of its bytes is a hit (``hits`` per byte, ``offsets`` from 0)."""
    out = np.zeros(len(offsets) - 1, dtype=bool)
    nonempty = offsets[1:] > offsets[:-1]
    starts = offsets[:-1][nonempty]  # an empty cell's segment would be one byte of the next
    if starts.size:
        out[nonempty] = np.logical_or.reduceat(hits, starts)
    return out


def count_evidence(prep: Prepared, plan: ColumnPlan, rs: RecognizerSet) -> Evidence:
    """Evidence of one batch of a column under ``plan``."""
    recs = tuple(r for r, _ in plan.cell)
    distinct = None
    if plan.distinct:
        distinct = distinct_of(sorted_unique(prep.values.hash().to_numpy()))
    if not len(prep.values) or not (plan.cell or plan.text):
        return replace(no_evidence(plan), distinct=distinct)
    cells, texts = evaluate(
        prep.values,
        [(rs.by_id(r), hinted) for r, hinted in plan.cell],
        [rs.by_id(r) for r in plan.text],
        buffers=prep.buffers,
    )
    table = (
        np.column_stack([np.where(cells[r].matched, cells[r].confidence, NO_MATCH) for r in recs])
        if recs
        else np.zeros((len(prep.values), 0))
    )
    return Evidence(
        plan,
        group_signatures(recs, table, prep.weights),
        tuple((r, _text_counts(texts[r], prep.weights)) for r in plan.text),
        distinct,
    )


def no_evidence(plan: ColumnPlan) -> Evidence:
    """The evidence of a column without rows."""
    recs = tuple(r for r, _ in plan.cell)
    empty = Signatures(recs, np.zeros((0, len(recs))), np.zeros(0, dtype=np.int64))
    distinct = Distinct(hashes=NO_HASHES) if plan.distinct else None
    return Evidence(plan, empty, tuple((r, TextCounts()) for r in plan.text), distinct)


def _text_counts(res: TextEval, weights: IntArray) -> TextCounts:
    ok = res.confidence > 0
    w = weights[res.rows]
    levels, inverse = np.unique(res.confidence[ok], return_inverse=True)
    per_level = np.bincount(inverse.ravel(), weights=w[ok], minlength=len(levels))
    return TextCounts(
        matches=int(w.sum()),
        valid=int(w[ok].sum()),
        cells=int(weights[np.unique(res.rows[ok])].sum()),
        levels=tuple(
            (float(level), int(n)) for level, n in zip(levels, per_level, strict=True) if n
        ),
    )


def plan_column(base: ColumnPlan, flags: Flags, free: bool, rs: RecognizerSet) -> ColumnPlan:
    """The full plan of a column from its probe flags and whether it is free text
    (``ColumnStats.free_text``): the recognizers ``classify_frame`` runs on it."""
    cell = tuple(
        (r.id, hint is not None)
        for r, (_, hint) in zip(rs.recognizers, base.hints, strict=True)
        if (r.id, "hinted" if hint else "cell") in flags and (hint or not r.requires_hint)
    )
    text = tuple(r.id for r in rs.recognizers if free and (r.id, "text") in flags)
    distinct = any(rs.by_id(r).threshold.min_distinct_share > 0 for r, _ in cell)
    return replace(base, cell=cell, text=text, distinct=distinct)
