"""k-anonymity by generalisation: search the lattice of quasi-identifier ladder steps.

Every combination of steps (one per quasi-identifier) is a node; a node satisfies k when
suppressing the records of classes smaller than k removes at most ``max_suppression`` of them.
Satisfaction is monotone (coarser steps only merge classes), so the search follows OLA
(El Emam et al., 2009): binary search over lattice heights, tagging every generalisation of a
satisfying node as satisfying and every specialisation of a failing node as failing. Among the
satisfying nodes it returns the one with the least *generalisation intensity*: the mean over
all quasi-identifier cells of step/top, a suppressed record counting 1 for each of its cells.

How classes are counted fast is ``fenji.deid.lattice``'s business.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import polars as pl

from fenji.deid.ladders import Ladder, Step, build_ladder, level_of
from fenji.deid.lattice import Lattice
from fenji.deid.profile import Profile
from fenji.errors import InputError

LATTICE_LIMIT = 50_000
LOSS_METRIC = (
    "generalisation intensity: mean over quasi-identifier cells of step/top, "
    "suppressed records counting 1"
)


@dataclass(frozen=True)
class ColumnLevel:
    """The step chosen for one quasi-identifier."""

    column: str
    kind: str
    level: int
    top: int
    label: str


@dataclass(frozen=True)
class KResult:
    """Outcome of the k-anonymity search."""

    profile: Profile  # the input profile with the chosen steps and a k_anonymity block
    k: int
    max_suppression: float
    levels: tuple[ColumnLevel, ...]
    records: int
    suppressed_records: int
    equivalence_classes: int
    loss: float
    loss_metric: str
    discernibility: int  # sum of squared class sizes, suppressed records counting n each
    nodes_evaluated: int
    lattice_size: int


def search_k(
    frame: pl.DataFrame,
    profile: Profile,
    k: int,
    max_suppression: float = 0.05,
    *,
    progress: Callable[[str], None] | None = None,
) -> KResult:
    """Choose generalisation steps for the profile's quasi-identifiers that reach ``k``.

    Quasi-identifiers are the columns the profile declares with role ``quasi``. Records in
    classes smaller than ``k`` are suppressed, at most ``max_suppression`` of them.
    """
    if k < 2:
        raise InputError(f"--k must be at least 2 (got {k})")
    if not 0 <= max_suppression < 1:
        raise InputError(f"--max-suppression must be in [0, 1) (got {max_suppression})")
    if frame.height < k:
        raise InputError(f"the table has {frame.height} records, fewer than k = {k}")
    quasi = [c for c in profile.columns_with("quasi") if c in frame.columns]
    ladders = [_ladder_for(frame, profile, c) for c in quasi]
    size = int(np.prod([ld.top + 1 for ld in ladders])) if ladders else 1
    if size > LATTICE_LIMIT:
        raise InputError(
            f"k-anonymity search over {len(ladders)} quasi-identifiers has {size} step "
            f"combinations (limit {LATTICE_LIMIT}); declare fewer quasi-identifiers"
        )
    allowed = int(max_suppression * frame.height)
    if not ladders:
        return _result(
            profile, k, max_suppression, [], (), frame.height, (0, 1, frame.height**2), 0, 1
        )
    if progress:
        progress(f"generalising {len(ladders)} quasi-identifiers ({size} step combinations)")
    lat = Lattice(frame, ladders, k, allowed)
    found: list[np.ndarray] = []
    lat.kmin(lat.floor.copy(), lat.tops.copy(), found)
    ola_evaluations = len(lat.results)
    minimal = [n for n in found if not any((m <= n).all() and (m != n).any() for m in found)]
    minimal = minimal or [lat.tops.copy()]  # suppressing every column always reaches k
    prec = (lat.nodes / np.maximum(lat.tops, 1)).mean(axis=1)

    def loss(node: np.ndarray) -> float:
        suppressed = lat.evaluate(node)[0]
        share = suppressed / frame.height
        return float(prec[lat.index(node)]) * (1 - share) + share

    best = min(minimal, key=lambda n: (loss(n), lat.evaluate(n)[0]))
    best_loss = loss(best)
    # A coarser node may lose less if it avoids suppressing records: check the few whose
    # generalisation alone is still below the best loss.
    for i in np.argsort(prec, kind="stable"):
        if prec[i] >= best_loss:
            break
        node = lat.nodes[i]
        if any((m <= node).all() for m in minimal) and loss(node) < best_loss:
            best, best_loss = node, loss(node)
    if progress:
        progress(
            f"chose steps {best.tolist()} after evaluating {len(lat.results)} combinations "
            f"({ola_evaluations} to find the minimal ones)"
        )
    return _result(
        profile,
        k,
        max_suppression,
        lat.ladders,
        tuple(int(x) for x in best),
        frame.height,
        lat.evaluate(best),
        len(lat.results),
        len(lat.nodes),
    )


def _ladder_for(frame: pl.DataFrame, profile: Profile, column: str) -> Ladder:
    rule = profile.rule(column)
    info = (rule.info_type,) if rule and rule.info_type else ()
    ladder = build_ladder(frame[column], info)
    if (
        rule
        and rule.operator not in ("keep", "suppress")
        and level_of(ladder, rule.operator, rule.params) is None
    ):
        # A hand-written rule outside the ladder: the search may keep it or suppress the column.
        own = Step(rule.operator, dict(rule.params), f"{rule.operator} as in the profile")
        ladder = Ladder(column, "custom", (own, ladder.steps[-1]))
    return ladder


def _result(
    profile: Profile,
    k: int,
    max_suppression: float,
    ladders: list[Ladder],
    node: tuple[int, ...],
    n: int,
    evaluation: tuple[int, int, int],
    evaluated: int,
    size: int,
) -> KResult:
    suppressed, classes, dm = evaluation
    levels = tuple(
        ColumnLevel(ld.column, ld.kind, lvl, ld.top, ld.steps[lvl].label)
        for ld, lvl in zip(ladders, node, strict=True)
    )
    chosen = {ld.column: ld.steps[lvl] for ld, lvl in zip(ladders, node, strict=True)}
    rules = []
    for rule in profile.rules:
        step = chosen.get(rule.column)
        if step is None:
            rules.append(rule)
            continue
        note = f"quasi-identifier, step {levels_of(levels, rule.column)} chosen for k={k}"
        rules.append(replace(rule, operator=step.operator, params=dict(step.params), note=note))
    share = suppressed / n if n else 0.0
    intensity = (sum(lv.level / max(lv.top, 1) for lv in levels) / len(levels)) if levels else 0.0
    return KResult(
        profile=replace(profile, rules=tuple(rules), k=k, max_suppression=max_suppression),
        k=k,
        max_suppression=max_suppression,
        levels=levels,
        records=n,
        suppressed_records=suppressed,
        equivalence_classes=classes,
        loss=intensity * (1 - share) + share,
        loss_metric=LOSS_METRIC,
        discernibility=dm,
        nodes_evaluated=evaluated,
        lattice_size=size,
    )


def levels_of(levels: tuple[ColumnLevel, ...], column: str) -> str:
    """'2/4 (date to year)' for a column, '' when it was not searched."""
    for lv in levels:
        if lv.column == column:
            return f"{lv.level}/{lv.top} ({lv.label})"
    return ""
