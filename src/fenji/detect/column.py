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

Thresholds and scores come from the YAML; docs/detectors.md gives the formulas.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import polars as pl

from fenji.detect.column_eval import (
    BoolArray,
    CellEval,
    IntArray,
    TextEval,
    ViewKey,
    active_patterns,
    anchored,
    build_views,
    evaluate,
    view_key,
)
from fenji.detect.column_exprs import as_text
from fenji.detect.hints import column_hint
from fenji.detect.recognizer import Recognizer, RecognizerSet
from fenji.model import InfoTypeHit

Found = list[tuple[InfoTypeHit, str]]  # (hit, recognizer id)
# Validators that verify a check character: their passes are reported as "checksum_valid";
# the others (number segments, formats, dates, surnames) as "validated".
CHECK_DIGITS = frozenset(
    {"cn_ric", "cn_ric18", "cn_uscc", "luhn", "bank_card", "imei", "vin", "hk_id", "tw_id"}
)


# Columns whose probe rows are mostly distinct are not reduced to distinct values: counting them
# would cost more than it saves.
DEDUPE_BELOW = 0.5


@dataclass(frozen=True)
class Column:
    """A column's non-empty values (as text; distinct when worth it) and how often each occurs."""

    values: pl.Series
    weights: IntArray
    non_empty: int
    mean_chars: float
    text_share: float  # prose-like cells: long enough, with whitespace or non-ASCII characters
    deduplicated: bool = True

    @cached_property
    def distinct_share(self) -> float:
        if not self.non_empty:
            return 0.0
        distinct = len(self.values) if self.deduplicated else self.values.n_unique()
        return distinct / self.non_empty

    def total(self, rows: BoolArray | IntArray) -> int:
        """Cells behind a mask (or an index array) over the distinct values."""
        return int(self.weights[rows].sum())


def classify_frame(df: pl.DataFrame, rs: RecognizerSet) -> dict[str, tuple[InfoTypeHit, ...]]:
    """Info types asserted for every column of ``df``, best first (empty tuple: no PI)."""
    if df.width == 0:
        return {}
    hints = {c: {r.id: _hint(c, r, rs) for r in rs.recognizers} for c in df.columns}
    # A date or time column can only be a birth date, and only under a hint: skip its text.
    texts = pl.DataFrame(
        [
            _none(df[c])
            if df[c].dtype.is_temporal() and not any(hints[c][r.id] for r in rs.recognizers)
            else as_text(df[c])
            for c in df.columns
        ]
    )
    sample = _sample(texts, rs)
    columns = {c: _column(df[c], texts[c], sample[c], rs) for c in df.columns}
    probe = _probe(sample, rs, columns)
    found = {c: _classify_column(columns[c], rs, hints[c], probe.get(c, {})) for c in df.columns}
    return _apply_pairs(found, rs)


def _hint(column: str, rec: Recognizer, rs: RecognizerSet) -> str | None:
    return column_hint(column, rec.hints, rec.hints_not, rs.settings.hint_vetoes)


def _free_text(col: Column, rs: RecognizerSet) -> bool:
    s = rs.settings
    return col.mean_chars >= s.free_text_min_mean_chars and (
        col.text_share >= s.free_text_min_text_share
    )


def _none(raw: pl.Series) -> pl.Series:
    return pl.Series(raw.name, [None] * len(raw), dtype=pl.String)


def _sample(texts: pl.DataFrame, rs: RecognizerSet) -> pl.DataFrame:
    """The probe: ``settings.probe_rows`` evenly spaced rows."""
    n, rows = texts.height, rs.settings.probe_rows
    return texts if n <= rows else texts[np.linspace(0, n - 1, rows).astype(np.int64)]


def _column(raw: pl.Series, text: pl.Series, sample: pl.Series, rs: RecognizerSet) -> Column:
    """Non-empty values (distinct, with counts, unless mostly distinct) and their statistics."""
    filled_sample = sample.drop_nulls()
    dedupe = filled_sample.n_unique() < DEDUPE_BELOW * max(len(filled_sample), 1)
    if dedupe:
        counts = text.drop_nulls().value_counts(name="n")
        values, weights = counts[text.name], counts["n"].to_numpy()
    else:
        values = text.drop_nulls()
        weights = np.ones(len(values), dtype=np.int64)
    filled = (values.str.strip_chars().str.len_chars() > 0).to_numpy()
    values, weights = values.filter(pl.Series(filled)), weights[filled].astype(np.int64)
    non_empty = int(weights.sum())
    if non_empty == 0:
        # Binary and nested columns have no text: only their name can speak (e.g. face images).
        non_null = len(raw) - raw.null_count()
        return Column(values, weights, non_null if text.null_count() == len(text) else 0, 0.0, 0.0)
    chars = values.str.len_chars().to_numpy().astype(np.int64)
    mean_chars = float((chars * weights).sum() / non_empty)
    prose_share = 0.0
    if mean_chars >= rs.settings.free_text_min_mean_chars:  # only then can it be free text
        long = chars >= rs.settings.free_text_min_cell_chars
        prose = long & values.str.contains(r"\s|[^\x00-\x7F]").to_numpy()
        prose_share = float(weights[prose].sum() / non_empty)
    return Column(values, weights, non_empty, mean_chars, prose_share, dedupe)


def _probe(
    sample: pl.DataFrame, rs: RecognizerSet, stats: dict[str, Column]
) -> dict[str, dict[tuple[str, str], int]]:
    """Per column, (recognizer id, "cell" | "text") -> matching cells among the probe rows.

    Every pattern counts here (hint-only ones too): the probe only decides what runs next.
    """
    columns = [c for c in sample.columns if stats[c].non_empty > 0]
    if not columns:
        return {}
    recs = [r for r in rs.recognizers if r.patterns]
    keys: set[ViewKey] = {view_key(r, True) for r in recs}
    keys |= {view_key(r, False) for r in recs if r.text and not r.requires_hint}
    # Stack the probe rows of all columns: one regex compile and pass per recognizer.
    stacked = build_views(pl.concat([sample[c].alias("v") for c in columns]), keys)
    owner = np.repeat(np.arange(len(columns)), sample.height)
    counts: dict[str, dict[tuple[str, str], int]] = {c: {} for c in columns}

    def count(name: tuple[str, str], hit: pl.Series) -> None:
        per_column = np.bincount(
            owner, weights=hit.fill_null(False).to_numpy(), minlength=len(columns)
        )
        for c, k in zip(columns, per_column, strict=True):
            counts[c][name] = int(k)

    for r in recs:
        cell = stacked[view_key(r, True)]
        # "cell" counts the patterns that need no hint, "hinted" all of them.
        for mode, hinted in (("cell", False), ("hinted", True)):
            patterns = active_patterns(r, hinted)
            if mode == "hinted" and len(patterns) == len(active_patterns(r, False)):
                for per_column in counts.values():
                    per_column[(r.id, "hinted")] = per_column[(r.id, "cell")]
                continue
            if not patterns:
                count((r.id, mode), pl.Series(np.zeros(len(cell), dtype=bool)))
                continue
            hit = cell.str.contains(anchored("|".join(f"(?:{p.regex})" for p in patterns)))
            if r.reject:
                hit = hit & ~cell.str.contains(r.reject)
            count((r.id, mode), hit)
        if r.text and not r.requires_hint:
            alternation = "|".join(f"(?:{p.regex})" for p in active_patterns(r, False))
            count((r.id, "text"), stacked[view_key(r, False)].str.contains(alternation))
    return counts


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


def _classify_column(
    col: Column,
    rs: RecognizerSet,
    hints: dict[str, str | None],
    probe: dict[tuple[str, str], int],
) -> Found:
    """(hit, recognizer id) for one column, best first; one hit per info type."""
    if col.non_empty == 0:
        return []
    cell_recs = [
        r
        for r in rs.recognizers
        if (probe.get((r.id, "hinted"), 0) > 0 if hints[r.id] else probe.get((r.id, "cell"), 0) > 0)
        and (hints[r.id] or not r.requires_hint)
    ]
    free = _free_text(col, rs)
    text_recs = [r for r in rs.recognizers if free and probe.get((r.id, "text"), 0) > 0]
    cells, texts = evaluate(
        col.values, [(r, hints[r.id] is not None) for r in cell_recs], text_recs
    )
    found: Found = []
    total_share = 0.0
    exclusive = [r for r in cell_recs if not r.requires_hint]
    if exclusive:
        total_share, shared = _share_cells(exclusive, cells, hints, col, rs)
        found += shared
    for r in cell_recs:
        res = cells[r.id]
        valid = col.total(res.confidence > 0)
        if r.requires_hint and valid / col.non_empty >= r.threshold.share_with_hint:
            found.append((_cell_hit(r, [r], cells, res.confidence > 0, hints[r.id], col), r.id))
    for r in rs.recognizers:
        hint = hints[r.id]
        if not r.patterns and hint:
            ev = (("mode", "name"), ("name_hint", hint))
            n = col.non_empty
            found.append((InfoTypeHit(r.info_type, round(r.score, 3), n, n, r.id, ev), r.id))
    if total_share < rs.settings.mixed_total_share:
        for r in text_recs:
            found += _text_hit(r, texts[r.id], hints[r.id], col)
    best: dict[str, tuple[InfoTypeHit, str]] = {}
    for hit, rid in found:
        if hit.type not in best or hit.score > best[hit.type][0].score:
            best[hit.type] = (hit, rid)
    return sorted(best.values(), key=lambda h: (-h[0].score, -h[0].hits, h[0].type))


def _share_cells(
    recs: list[Recognizer],
    cells: dict[str, CellEval],
    hints: dict[str, str | None],
    col: Column,
    rs: RecognizerSet,
) -> tuple[float, Found]:
    """Give each value to its best recognizer; assert the types whose share is enough."""
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
    col: Column,
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


def _text_hit(rec: Recognizer, res: TextEval, hint: str | None, col: Column) -> Found:
    """Multi-label search inside long, varied cells (remarks, comments, logs)."""
    ok = res.confidence > 0
    matches, valid = col.total(res.rows), col.total(res.rows[ok])
    cells = col.total(np.unique(res.rows[ok]))
    t = rec.threshold
    if (
        cells < t.text_cells
        or cells / col.non_empty < t.text_share
        or valid < t.text_valid_share * matches
    ):
        return []
    weights = col.weights[res.rows[ok]]
    mean_conf = float((res.confidence[ok] * weights).sum() / weights.sum())
    score = min(0.99, _weight(rec, hint) * mean_conf)
    ev = _evidence(hint, "text", matches, valid, [rec]) + [("cells", cells)]
    hit = InfoTypeHit(rec.info_type, round(score, 3), cells, col.non_empty, rec.id, tuple(ev))
    return [(hit, rec.id)]


def _apply_pairs(found: dict[str, Found], rs: RecognizerSet) -> dict[str, tuple[InfoTypeHit, ...]]:
    """Drop hits whose recognizer needs a partner in another column (latitude beside longitude)."""
    out = {}
    for c, hits in found.items():
        partners = {rid for other, more in found.items() if other != c for _, rid in more}
        out[c] = tuple(h for h, rid in hits if rs.by_id(rid).pair_with in (None, *partners))
    return out
