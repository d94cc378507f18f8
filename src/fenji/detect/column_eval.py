"""Whole-column evaluation of one recognizer: views, matches, compaction, validator confidence.

Everything here is vectorised: Polars' Rust regex over whole Series, validators over the Series
of matched candidates only, numpy to place their confidences back at the matching rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import numpy.typing as npt
import polars as pl

from fenji.detect.column_exprs import (
    COMPACT,
    COMPACT_CHANGES,
    COMPACT_FAST,
    PREPROCESS,
    as_text,
    full_width,
    literal_strip,
    may_change,
    strip_bytes,
)
from fenji.detect.recognizer import Pattern, Recognizer
from fenji.detect.validators_core import Buffers, utf8_buffers

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def anchored(regex: str) -> str:
    """The pattern matching a whole (preprocessed) cell."""
    return f"^(?:{regex})$"


ViewKey = tuple[tuple[str, ...], str | None]


def text_expr(expr: pl.Expr, rec: Recognizer) -> pl.Expr:
    """A recognizer's preprocessing (character-preserving: width, case, trim)."""
    for step in rec.preprocess:
        expr = PREPROCESS[step](expr)
    return expr


def view_key(rec: Recognizer, cell: bool) -> ViewKey:
    """Recognizers sharing a key share one preprocessed copy of a column."""
    return (rec.preprocess, rec.cell_strip if cell else None)


def view_frame(
    values: pl.Series, keys: Iterable[ViewKey], buffers: Buffers | None = None
) -> tuple[pl.LazyFrame, dict[ViewKey, str]]:
    """A lazy frame of ``values`` with each preprocessed copy as a column, and their names.

    One query for all views (and whatever the caller selects from them): Polars computes the
    steps in parallel without returning to Python between them, which costs less than rewriting
    only the cells that change with several small calls. The column's bytes trim the work:
    width folding is left out when they hold nothing to fold (most columns), and a separator
    strip over ASCII text (once folded) removes the one or two characters that occur,
    literally, or nothing; trimming is left out of ASCII text without whitespace. ``buffers``:
    ``values``' Arrow bytes, when the caller has them.
    """
    keys = list(dict.fromkeys(keys))
    data, _ = buffers if buffers is not None else utf8_buffers(values)
    folds, folded = full_width(data)
    fold = bool(folds.size)
    ascii_text = not data.size or bool(data.max() < 0x80)
    occurs = _strip_occurrences(data, ascii_text, folds, folded, keys)
    # Steps that change no cell are left out: width folding without full-width bytes, and
    # trimming ASCII text without a whitespace byte (other whitespace needs a non-ASCII byte).
    idle = set() if fold else {"halfwidth"}
    if ascii_text and not (data <= 0x20).any():
        idle.add("trim")
    chains = list(dict.fromkeys(steps for steps, _ in keys))
    base = {steps: f"_fenji_p{i}" for i, steps in enumerate(chains)}
    names = {key: f"_fenji_v{i}" for i, key in enumerate(keys)}
    lf = values.rename("_fenji_x").to_frame().lazy()
    lf = lf.with_columns(_chain(steps, idle).alias(base[steps]) for steps in chains)
    return (
        lf.with_columns(
            _stripped(pl.col(base[steps]), strip, occurs[fold and "halfwidth" in steps]).alias(
                names[(steps, strip)]
            )
            for steps, strip in keys
        ),
        names,
    )


def _strip_occurrences(
    data: npt.NDArray[np.uint8],
    ascii_text: bool,
    folds: npt.NDArray[np.intp],
    folded: npt.NDArray[np.uint8],
    keys: Iterable[ViewKey],
) -> dict[bool, Mapping[int, bool] | None]:
    """Which of the strips' characters occur in the text as it is (False) and once folded
    (True): over ASCII bytes only (None: other non-ASCII text, or no strip that a look at the
    bytes could replace; the regex strips then). ``ascii_text``: no byte of ``data`` is
    non-ASCII."""
    asked = strip_bytes(strip for _, strip in keys if strip is not None)
    if not asked:
        return {False: None, True: None}
    if not ascii_text and 3 * folds.size != np.count_nonzero(data >= 0x80):
        return {False: None, True: None}
    raw = {b: bool((data == b).any()) for b in asked}
    return {
        False: raw if ascii_text else None,
        True: {b: raw[b] or bool((folded == b).any()) for b in asked},
    }


def _stripped(view: pl.Expr, strip: str | None, occurs: Mapping[int, bool] | None) -> pl.Expr:
    if strip is None:
        return view
    literals = literal_strip(occurs, strip) if occurs is not None else None
    if literals is None:
        return view.str.replace_all(strip, "")
    for char in literals:
        view = view.str.replace_all(char, "", literal=True)
    return view


def _chain(steps: tuple[str, ...], idle: set[str]) -> pl.Expr:
    expr = pl.col("_fenji_x")
    for step in steps:
        if step not in idle:
            expr = PREPROCESS[step](expr)
    return expr


def build_views(values: pl.Series, keys: Iterable[ViewKey]) -> dict[ViewKey, pl.Series]:
    """Preprocessed copies of a column (``view_frame`` collected), named like ``values``."""
    lf, names = view_frame(values, keys)
    got = lf.select(list(names.values())).collect()
    return {key: got[name].alias(values.name) for key, name in names.items()}


def _rewrite(values: pl.Series, hit: BoolArray, fn: Callable[[pl.Series], pl.Series]) -> pl.Series:
    """``fn`` applied to the cells where ``hit`` holds, the others kept as they are."""
    found = int(np.count_nonzero(hit))
    if found == 0:
        return values
    if found == len(values):
        return fn(values)
    rows = np.flatnonzero(hit)
    return values.clone().scatter(rows, fn(values.gather(rows)))


def _ascii_lower(values: pl.Series) -> bool:
    """True when lower-casing changes nothing: every byte ASCII and none upper case (e-mail
    addresses, mostly; a look at the bytes costs less than lower-casing them)."""
    data, _ = utf8_buffers(values)
    return not data.size or bool(data.max() < 0x80 and not ((data >= 0x41) & (data <= 0x5A)).any())


def compact_test(step: str) -> str | None:
    """The regex whose per-cell result ``compact`` needs for ``step`` (None: none needed):
    the cells the step may change, or the cells of its cheap fixed form. ``evaluate`` finds it
    once per view when patterns match most of the view, rather than once per pattern."""
    if step in COMPACT_CHANGES:
        return COMPACT_CHANGES[step]
    if step in COMPACT_FAST:
        return COMPACT_FAST[step][0]
    return None


def _tested(values: pl.Series, step: str, regex: str) -> BoolArray:
    """``compact_test``'s result per cell (for a rewriting step, a superset may come from the
    bytes, which is cheaper than the regex; rewriting a cell that needs none changes nothing)."""
    fast = may_change(values, step)
    if fast is not None:
        return fast
    return np.asarray(values.str.contains(regex).fill_null(False).to_numpy(), dtype=bool)


def compact(
    values: pl.Series, step: str, trimmed: bool = False, tested: BoolArray | None = None
) -> pl.Series:
    """A ``COMPACT`` step over candidates, rewriting only the cells it may change (and cells of
    a common fixed form the cheap way). ``trimmed``: the candidates come from a view that was
    already trimmed, so the steps' own trimming would change nothing. ``tested``: the
    ``compact_test`` result per candidate, when the caller has it already (for a rewriting
    step a superset will do: rewriting a cell that needs none leaves it as it is)."""
    if trimmed and step == "trim":
        return values
    if trimmed and step == "lower":
        return values if _ascii_lower(values) else apply(PREPROCESS["lower"], values)
    full = partial(apply, COMPACT[step])
    test = compact_test(step)
    if test is None:
        return full(values)
    hit = _tested(values, step, test) if tested is None else tested
    if step in COMPACT_CHANGES:
        return _rewrite(values, hit, full)
    quick = COMPACT_FAST[step][1]
    return _rewrite(_rewrite(values, hit, quick), ~hit, full)


def active_patterns(rec: Recognizer, hinted: bool) -> tuple[Pattern, ...]:
    """Patterns that count: ``hint_only`` ones only under a column-name hint."""
    return tuple(p for p in rec.patterns if hinted or not p.hint_only)


def _confidence(candidates: pl.Series, pattern: Pattern) -> FloatArray:
    """Validator confidence per candidate (1.0 where the pattern has no validator)."""
    if pattern.check is None:
        return np.ones(len(candidates))
    out = pattern.check(candidates).fill_null(0.0).to_numpy()
    return np.asarray(out, dtype=np.float64)


@dataclass(frozen=True)
class CellEval:
    """One recognizer over whole values: which match a pattern, with what confidence."""

    matched: BoolArray  # per value
    confidence: FloatArray  # per value, 0 where no validated match
    forms: pl.Series | None = field(default=None, compare=False)  # compacted, if asked for


@dataclass(frozen=True)
class TextEval:
    """One recognizer searched inside values: each match, its value and its confidence."""

    rows: IntArray  # index of the value each match was found in
    confidence: FloatArray  # per match, 0 = failed its validator


def evaluate(
    values: pl.Series,
    cell: Sequence[tuple[Recognizer, bool]],
    text: Sequence[Recognizer] = (),
    forms: bool = False,
    buffers: Buffers | None = None,
) -> tuple[dict[str, CellEval], dict[str, TextEval]]:
    """Run recognizers over a Utf8 Series in one lazy ``select``.

    ``cell`` pairs each recognizer with whether the column name hints at it (hint-only patterns
    count then). Preprocessed views shared by several recognizers are computed once, the regexes
    run in parallel, and each validator sees only the compacted candidates its pattern matched.
    ``forms``: also keep each matched value's compacted form (``CellEval.forms``, null where
    no pattern matched), which is ``canonical``'s result. ``buffers``: ``values``' Arrow bytes,
    when the caller has them.
    """
    # Views (width folding, trimming, separator stripping), each computed once, and every
    # pattern's matches on them: one lazy query (see ``view_frame``).
    keys = {view_key(r, True) for r, _ in cell} | {view_key(r, False) for r in text}
    lf, names = view_frame(values, keys, buffers)
    exprs: list[pl.Expr] = []
    for rec, hinted in cell:
        view = pl.col(names[view_key(rec, True)])
        for p in active_patterns(rec, hinted):
            hit = view.str.contains(anchored(p.regex))
            if rec.reject:
                hit = hit & ~view.str.contains(rec.reject)
            exprs.append(hit.fill_null(False).alias(f"c|{rec.id}|{p.id}"))
    for rec in text:
        view = pl.col(names[view_key(rec, False)])
        for p in active_patterns(rec, hinted=False):
            exprs.append(view.str.extract_all(p.regex).alias(f"t|{rec.id}|{p.id}"))
    # One query: the views, every pattern's matches, and the views the validators need.
    cell_keys = {view_key(r, True) for r, _ in cell}
    found = lf.select(*exprs, *(pl.col(names[k]) for k in cell_keys)).collect()
    views = {k: found[names[k]] for k in cell_keys}
    n = len(values)
    cells: dict[str, CellEval] = {}
    # A compaction test over a whole view, kept for the other patterns and recognizers on it:
    # found once when a pattern matches most of the view, else only over the matched cells.
    whole_tests: dict[tuple[ViewKey, str], BoolArray] = {}
    for rec, hinted in cell:
        matched, conf = np.zeros(n, dtype=bool), np.zeros(n)
        compacted = pl.Series(values.name, [None] * n, dtype=pl.String) if forms else None
        key = view_key(rec, True)
        cell_view = views[key]
        test = compact_test(rec.compact)
        for p in active_patterns(rec, hinted):
            rows = np.flatnonzero(found[f"c|{rec.id}|{p.id}"].to_numpy())
            if rows.size:  # compact and validate the matched values only
                matched[rows] = True
                picked = cell_view if rows.size == n else cell_view.gather(rows)
                tested = None
                if test is not None and (rows.size > n // 2 or (key, test) in whole_tests):
                    if (key, test) not in whole_tests:
                        whole_tests[key, test] = _tested(cell_view, rec.compact, test)
                    tested = whole_tests[key, test][rows]
                candidates = compact(picked, rec.compact, "trim" in rec.preprocess, tested)
                conf[rows] = np.maximum(conf[rows], _confidence(candidates, p))
                if compacted is not None:
                    compacted = compacted.scatter(rows, candidates)
        cells[rec.id] = CellEval(matched, conf, compacted)
    texts: dict[str, TextEval] = {}
    for rec in text:
        rows_parts, conf_parts = [], []
        for p in active_patterns(rec, hinted=False):
            column = f"t|{rec.id}|{p.id}"
            exploded = (
                found.select(pl.int_range(pl.len()).alias("row"), pl.col(column).alias("m"))
                .explode("m")
                .drop_nulls("m")
            )
            if exploded.height:
                candidates = exploded.select(COMPACT[rec.compact](pl.col("m"))).to_series()
                rows_parts.append(exploded["row"].to_numpy().astype(np.int64))
                conf_parts.append(_confidence(candidates, p))
        texts[rec.id] = TextEval(
            np.concatenate(rows_parts) if rows_parts else np.zeros(0, dtype=np.int64),
            np.concatenate(conf_parts) if conf_parts else np.zeros(0),
        )
    return cells, texts


def text_candidates(view: pl.Series, rec: Recognizer) -> pl.Series:
    """Compacted, validated matches found inside the cells of a text ``view``, in order."""
    parts = []
    for pattern in active_patterns(rec, hinted=False):
        found = view.str.extract_all(pattern.regex).explode().drop_nulls()
        if found.len() == 0:
            continue
        candidates = apply(COMPACT[rec.compact], found)
        parts.append(candidates.filter(pl.Series(_confidence(candidates, pattern) > 0)))
    return pl.concat(parts) if parts else pl.Series(view.name, [], dtype=pl.String)


def canonical(values: pl.Series, rec: Recognizer, hinted: bool = True) -> pl.Series:
    """Compacted form of each cell that a pattern matches as a whole; null elsewhere."""
    key = view_key(rec, True)
    lf, names = view_frame(as_text(values), [key])
    view = pl.col(names[key])
    patterns = active_patterns(rec, hinted)
    hits = [view.str.contains(anchored(p.regex)).fill_null(False) for p in patterns]
    hit = pl.any_horizontal(hits) if hits else pl.lit(False)
    if rec.reject:
        hit = hit & ~view.str.contains(rec.reject).fill_null(False)
    out = lf.select(pl.when(hit).then(COMPACT[rec.compact](view)).alias("c")).collect()
    return out.to_series().alias(values.name)


def apply(fn: Callable[[pl.Expr], pl.Expr], values: pl.Series) -> pl.Series:
    """Run an expression builder over one Series."""
    return values.to_frame("v").select(fn(pl.col("v"))).to_series().alias(values.name)
