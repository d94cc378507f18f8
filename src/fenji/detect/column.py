"""Column classifier: which info types does each column of a sample hold?

``classify_frame(df, rs)`` judges every column of a sample DataFrame (any dtypes) with the
recognizers of a ``RecognizerSet``:

1. each column is reduced to its distinct values and their counts (``value_counts``): every
   later step runs once per distinct value and weighs it by its count, so a status or gender
   column costs a handful of regex calls, not one per row;
2. a probe of ``settings.probe_rows`` evenly spaced rows of every column is stacked into one long
   frame, so each recognizer's regex is compiled and run once per frame (one ``select``), not
   once per column; it tells which recognizers can match which column;
3. only those run on the column, all in one lazy ``select`` (shared preprocessing computed once,
   regexes in parallel), then each validator over the Series of matched candidates only;
4. cell mode shares the cells among recognizers (best score x confidence wins a cell, so a valid
   ID number is not also a bank card), then compares each type's share with its thresholds;
   column-name-led recognizers are judged on their own share under their hint; free-text
   columns are searched for every text recognizer (multi-label).

Steps 1-3 produce mergeable counts (``fenji.detect.counts``); step 4 is ``verdict_from_counts``,
which streaming scans and the Spark engine call on counts summed over batches and partitions.
Thresholds and scores come from the YAML; docs/detectors.md gives the formulas.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import polars as pl

from fenji.detect.column_eval import BoolArray, CellEval, IntArray
from fenji.detect.counts import (
    ColumnPlan,
    ColumnStats,
    Evidence,
    TextCounts,
    base_plan,
    column_text,
    count_evidence,
    plan_column,
    prepare,
    restrict,
)
from fenji.detect.probe import probe_flags, probe_positions
from fenji.detect.recognizer import Recognizer, RecognizerSet
from fenji.model import InfoTypeHit

Found = list[tuple[InfoTypeHit, str]]  # (hit, recognizer id)
# Validators that verify a check character: their passes are reported as "checksum_valid";
# the others (number segments, formats, dates, surnames) as "validated".
CHECK_DIGITS = frozenset(
    {"cn_ric", "cn_ric18", "cn_uscc", "luhn", "bank_card", "imei", "vin", "hk_id", "tw_id"}
)


def classify_frame(df: pl.DataFrame, rs: RecognizerSet) -> dict[str, tuple[InfoTypeHit, ...]]:
    """Info types asserted for every column of ``df``, best first (empty tuple: no PI)."""
    if df.width == 0:
        return {}
    bases = {c: base_plan(c, df[c].dtype, rs) for c in df.columns}
    texts = pl.DataFrame([column_text(df[c], bases[c]) for c in df.columns])
    positions = probe_positions(df.height, rs.settings.probe_rows)
    # Columns in parallel: Polars and numpy release the GIL for the heavy work.
    with ThreadPoolExecutor(max_workers=max(1, min(pl.thread_pool_size(), df.width))) as pool:
        prepared = pool.map(lambda c: prepare(df[c], texts[c], rs), df.columns)
        preps = dict(zip(df.columns, prepared, strict=True))
        free = {c for c, p in preps.items() if p.stats.free_text(rs)}
        flags = probe_flags(texts if positions is None else texts[positions], rs, free)

        def count(c: str) -> tuple[ColumnStats, Evidence]:
            plan = plan_column(bases[c], flags[c], c in free, rs)
            return preps[c].stats, count_evidence(preps[c], plan, rs)

        counted = dict(zip(df.columns, pool.map(count, df.columns), strict=True))
    return verdict_from_counts(
        {c: s for c, (s, _) in counted.items()}, {c: e for c, (_, e) in counted.items()}, rs
    )


def verdict_from_counts(
    stats: Mapping[str, ColumnStats],
    evidence: Mapping[str, Evidence],
    rs: RecognizerSet,
    plans: Mapping[str, ColumnPlan] | None = None,
) -> dict[str, tuple[InfoTypeHit, ...]]:
    """Info types per column from (merged) counts, exactly as ``classify_frame`` decides.

    ``plans`` (default: each evidence's own plan) may be narrower than the plans the evidence
    was counted under (a streaming scan counts a superset first): the evidence is cut down.
    """
    found = {}
    for c, ev in evidence.items():
        plan = plans[c] if plans is not None else ev.plan
        found[c] = _classify_column(stats[c], restrict(ev, plan), rs)
    return _apply_pairs(found, rs)


@dataclass(frozen=True)
class _Cells:
    """The distinct cell signatures of a column (weights = cells with each) and its totals."""

    weights: IntArray
    non_empty: int
    distinct_share: float

    def total(self, rows: BoolArray | IntArray) -> int:
        """Cells behind a mask (or an index array) over the signatures."""
        return int(self.weights[rows].sum())


def _weight(rec: Recognizer, hint: str | None) -> float:
    return min(0.99, rec.score + (rec.hint_bonus if hint else 0.0))


def _evidence(
    hint: str | None, mode: str, matches: int, valid: int, recs: list[Recognizer]
) -> list[tuple[str, str | int | float]]:
    checksum = any(p.validator in CHECK_DIGITS for r in recs for p in r.patterns)
    ev: list[tuple[str, str | int | float]] = [("mode", mode)]
    if hint:
        ev.append(("name_hint", hint))
    ev += [("regex_matches", matches), ("checksum_valid" if checksum else "validated", valid)]
    return ev


def _classify_column(stats: ColumnStats, ev: Evidence, rs: RecognizerSet) -> Found:
    """(hit, recognizer id) for one column, best first; one hit per info type."""
    n = stats.non_empty
    if n == 0:
        return []
    plan = ev.plan
    hints = dict(plan.hints)
    distinct = ev.distinct.count() if ev.distinct is not None else 0.0
    col = _Cells(ev.cells.weights, n, distinct / n)
    cell_recs = [rs.by_id(r) for r, _ in plan.cell]
    cells = {
        r.id: CellEval(ev.cells.table[:, j] >= 0, np.maximum(ev.cells.table[:, j], 0.0))
        for j, r in enumerate(cell_recs)
    }
    found: Found = []
    total_share = 0.0
    exclusive = [r for r in cell_recs if not r.requires_hint]
    if exclusive:
        total_share, shared = _share_cells(exclusive, cells, hints, col, rs)
        found += shared
    for r in cell_recs:
        res = cells[r.id]
        valid = col.total(res.confidence > 0)
        if r.requires_hint and valid / n >= r.threshold.share_with_hint:
            found.append((_cell_hit(r, [r], cells, res.confidence > 0, hints[r.id], col), r.id))
    for r in rs.recognizers:
        hint = hints[r.id]
        if not r.patterns and hint:
            name_ev = (("mode", "name"), ("name_hint", hint))
            found.append((InfoTypeHit(r.info_type, round(r.score, 3), n, n, r.id, name_ev), r.id))
    if total_share < rs.settings.mixed_total_share:
        for rid in plan.text:
            found += _text_hit(rs.by_id(rid), ev.text_counts(rid), hints[rid], n)
    best: dict[str, tuple[InfoTypeHit, str]] = {}
    for hit, rid in found:
        if hit.type not in best or hit.score > best[hit.type][0].score:
            best[hit.type] = (hit, rid)
    return sorted(best.values(), key=lambda h: (-h[0].score, -h[0].hits, h[0].type))


def _share_cells(
    recs: list[Recognizer],
    cells: dict[str, CellEval],
    hints: dict[str, str | None],
    col: _Cells,
    rs: RecognizerSet,
) -> tuple[float, Found]:
    """Give each cell to its best recognizer; assert the types whose share is enough."""
    weights = np.array([_weight(r, hints[r.id]) for r in recs])
    hinted = np.array([hints[r.id] is not None for r in recs])
    conf = np.stack([cells[r.id].confidence for r in recs], axis=1)
    # A validated value of the type the column name announces wins its cell outright.
    matrix = conf * weights + ((conf > 0) & hinted) * 2.0
    best = matrix.argmax(axis=1)
    taken = matrix.max(axis=1) > 0
    valid = conf > 0
    total_share = col.total(taken) / col.non_empty
    by_type: dict[str, list[int]] = {}
    for j, r in enumerate(recs):
        by_type.setdefault(r.info_type, []).append(j)
    out: Found = []
    for members in by_type.values():
        mine = np.isin(np.arange(len(recs)), members)
        assigned = taken & mine[best]
        hits = col.total(assigned)
        if hits == 0:
            continue
        group = [recs[j] for j in members]
        lead = max(group, key=lambda r: col.total(taken & (best == recs.index(r))))
        hint = next((hints[r.id] for r in group if hints[r.id]), None)
        t = lead.threshold
        varied = hint is not None or col.distinct_share >= t.min_distinct_share
        enough = hits / col.non_empty >= (t.share_with_hint if hint else t.share)
        # In a mixed column a type needs cells that validate as nothing else: a legacy ID that
        # happens to pass Luhn does not make an IMEI column.
        alone = np.asarray(valid[:, mine].any(axis=1) & ~valid[:, ~mine].any(axis=1), dtype=bool)
        mixed = total_share >= rs.settings.mixed_total_share and (
            col.total(alone) / col.non_empty >= rs.settings.mixed_min_share
        )
        if varied and (enough or mixed):
            out.append((_cell_hit(lead, group, cells, assigned, hint, col), lead.id))
    return total_share, out


def _cell_hit(
    rec: Recognizer,
    group: list[Recognizer],
    cells: dict[str, CellEval],
    assigned: BoolArray,
    hint: str | None,
    col: _Cells,
) -> InfoTypeHit:
    """Score = weight x mean confidence of the hits x (0.75 + 0.25 x share), capped at 0.99."""
    hits = col.total(assigned)
    share = hits / col.non_empty
    conf = np.max([cells[r.id].confidence for r in group], axis=0)
    mean_conf = float((conf * col.weights)[assigned].sum() / hits) if hits else 0.0
    score = min(0.99, _weight(rec, hint) * mean_conf * (0.75 + 0.25 * share))
    matched = np.logical_or.reduce([cells[r.id].matched for r in group])
    valid = col.total(conf > 0)
    ev = _evidence(hint, "cell", col.total(matched), valid, group)
    if hits != valid:
        ev.append(("assigned", hits))
    if rec.threshold.min_distinct_share > 0:
        ev.append(("distinct_share", round(col.distinct_share, 3)))
    return InfoTypeHit(rec.info_type, round(score, 3), hits, col.non_empty, rec.id, tuple(ev))


def _text_hit(rec: Recognizer, res: TextCounts, hint: str | None, non_empty: int) -> Found:
    """Multi-label search inside long, varied cells (remarks, comments, logs)."""
    t = rec.threshold
    if (
        res.cells < t.text_cells
        or res.cells / non_empty < t.text_share
        or res.valid < t.text_valid_share * res.matches
    ):
        return []
    score = min(0.99, _weight(rec, hint) * res.mean_confidence())
    ev = _evidence(hint, "text", res.matches, res.valid, [rec]) + [("cells", res.cells)]
    hit = InfoTypeHit(rec.info_type, round(score, 3), res.cells, non_empty, rec.id, tuple(ev))
    return [(hit, rec.id)]


def _apply_pairs(found: dict[str, Found], rs: RecognizerSet) -> dict[str, tuple[InfoTypeHit, ...]]:
    """Drop hits whose recognizer needs a partner in another column (latitude beside longitude)."""
    out = {}
    for c, hits in found.items():
        partners = {rid for other, more in found.items() if other != c for _, rid in more}
        out[c] = tuple(h for h, rid in hits if rs.by_id(rid).pair_with in (None, *partners))
    return out
