"""The probe: which recognizers could match a column at all, decided on a few evenly spaced rows.

Every column's plan (``fenji.detect.counts.plan_column``) starts from its probe flags: the
(recognizer id, mode) pairs that match at least one probe row. "cell" covers the patterns needing
no column-name hint, "hinted" all of them, "text" a search inside the cell. Flags of several probe
slices merge by union, so the probe rows may arrive in batches (streaming, Spark partitions).

Text flags only matter for free-text columns (``plan_column`` ignores them otherwise), and the
search inside every cell is the costly part of a probe, so callers that already know which
columns can be free text pass ``text_columns``; a column left out gets no "text" flags.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np
import numpy.typing as npt
import polars as pl

from fenji.detect.column_eval import ViewKey, active_patterns, anchored, view_frame, view_key
from fenji.detect.recognizer import Recognizer, RecognizerSet

Flags = frozenset[tuple[str, str]]  # (recognizer id, "cell" | "hinted" | "text") seen in probes

_OWNER = "\x00owner"


def probe_positions(rows: int, probe_rows: int) -> npt.NDArray[np.int64] | None:
    """Row positions of the probe: ``probe_rows`` evenly spaced rows (None = every row)."""
    if rows <= probe_rows:
        return None
    return np.linspace(0, rows - 1, probe_rows).astype(np.int64)


def probe_flags(
    texts: pl.DataFrame,
    rs: RecognizerSet,
    text_columns: Collection[str] | None = None,
    cell: bool = True,
) -> dict[str, Flags]:
    """Per column, the (recognizer id, mode) pairs that match at least one of these probe rows.

    ``texts`` holds probe rows as Utf8 (``column_text``). Every pattern counts here, hint-only
    ones too: the probe only decides what runs next. ``text_columns`` limits the search inside
    cells ("text" flags) to those columns (None: every column); ``cell=False`` leaves out the
    whole-cell modes ("cell", "hinted").
    """
    filled = [c for c in texts.columns if texts[c].null_count() < texts.height]
    out: dict[str, Flags] = {c: frozenset() for c in texts.columns}
    if not filled or texts.height == 0:
        return out
    recs = [r for r in rs.recognizers if r.patterns]
    searched = [c for c in filled if text_columns is None or c in text_columns]
    parts = [(filled, _cell_query(texts, filled, recs))] if cell else []
    if searched and any(r.text and not r.requires_hint for r in recs):
        parts.append((searched, _text_query(texts, searched, recs)))
    found: dict[str, set[tuple[str, str]]] = {c: set() for c in filled}
    # One call for both queries: Polars runs them side by side without the GIL.
    for columns, per_column in zip(
        [c for c, _ in parts], pl.collect_all([q for _, q in parts]), strict=True
    ):
        for row in per_column.iter_rows(named=True):
            column = columns[row.pop(_OWNER)]
            for name, hit in row.items():
                if hit:
                    rid, mode = name.split("\x00")
                    found[column].add((rid, mode))
                    if mode == "cell" and len(active_patterns(rs.by_id(rid), True)) == len(
                        active_patterns(rs.by_id(rid), False)
                    ):
                        found[column].add((rid, "hinted"))
    out.update({c: frozenset(v) for c, v in found.items()})
    return out


def _stacked(
    texts: pl.DataFrame, columns: Sequence[str], keys: set[ViewKey]
) -> tuple[pl.LazyFrame, dict[ViewKey, str], pl.Series]:
    """The distinct probe values of ``columns`` stacked into one column, its views, and each
    row's owner (a flag says whether any row matches: repeats and nulls add nothing, and
    codes, categories and names repeat a lot)."""
    parts = [texts[c].drop_nulls().unique().alias("v") for c in columns]
    frame, names = view_frame(pl.concat(parts), keys)
    owner = pl.Series(_OWNER, np.repeat(np.arange(len(columns)), [len(p) for p in parts]))
    return frame, names, owner


def _any_per_column(frame: pl.LazyFrame, exprs: list[pl.Expr], owner: pl.Series) -> pl.LazyFrame:
    # The matches over the whole stacked column first, then "any" per column: matching inside
    # the group-by would run every regex once per column.
    return frame.select(*exprs, pl.lit(owner)).group_by(_OWNER).agg(pl.all().exclude(_OWNER).any())


def _cell_query(
    texts: pl.DataFrame, columns: Sequence[str], recs: Sequence[Recognizer]
) -> pl.LazyFrame:
    """ "cell" and "hinted" flags: each recognizer's patterns, as one alternation, over whole
    cells."""
    frame, names, owner = _stacked(texts, columns, {view_key(r, True) for r in recs})
    exprs: list[pl.Expr] = []
    for r in recs:
        view = pl.col(names[view_key(r, True)])
        plain = active_patterns(r, False)
        for mode, patterns in (("cell", plain), ("hinted", active_patterns(r, True))):
            if not patterns or (mode == "hinted" and len(patterns) == len(plain)):
                continue  # "hinted" is "cell" again when no pattern is hint-only
            hit = view.str.contains(anchored("|".join(f"(?:{p.regex})" for p in patterns)))
            if r.reject:
                hit = hit & ~view.str.contains(r.reject)
            exprs.append(hit.fill_null(False).alias(f"{r.id}\x00{mode}"))
    return _any_per_column(frame, exprs, owner)


def _text_query(
    texts: pl.DataFrame, columns: Sequence[str], recs: Sequence[Recognizer]
) -> pl.LazyFrame:
    """ "text" flags: each text recognizer's patterns searched inside the cells."""
    searching = [r for r in recs if r.text and not r.requires_hint]
    frame, names, owner = _stacked(texts, columns, {view_key(r, False) for r in searching})
    exprs = [
        pl.col(names[view_key(r, False)])
        .str.contains("|".join(f"(?:{p.regex})" for p in active_patterns(r, False)))
        .fill_null(False)
        .alias(f"{r.id}\x00text")
        for r in searching
    ]
    return _any_per_column(frame, exprs, owner)
