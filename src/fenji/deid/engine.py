"""Apply a profile to a table and report what it cost (utility) and what it achieved (risk)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from fenji.deid.effect import DEFAULT_SCENARIO
from fenji.deid.keys import HOW_TO
from fenji.deid.ladders import build_ladder, level_of
from fenji.deid.operators import OPERATORS, suppressed_cells
from fenji.deid.profile import Profile, Rule
from fenji.deid.risk import RiskReport, measure_risk
from fenji.errors import InputError, choices

# Operators after which a direct identifier no longer identifies without additional
# information (the key, or nothing at all).
REMOVES_DIRECT = ("pseudonymize", "hash", "redact", "suppress")


@dataclass(frozen=True)
class ColumnUtility:
    """How much information the transformation removed from one column."""

    column: str
    operator: str
    role: str | None
    distinct_before: int
    distinct_after: int
    suppressed_cells: int  # non-empty before, empty after (in the records kept)
    generalisation: str = ""  # e.g. "2/4 (date to year)" when the k search chose it

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "column": self.column,
            "operator": self.operator,
            "role": self.role,
            "distinct_before": self.distinct_before,
            "distinct_after": self.distinct_after,
            "suppressed_cells": self.suppressed_cells,
            "generalisation": self.generalisation,
        }


@dataclass(frozen=True)
class DeidResult:
    """The de-identified table with its utility and risk reports."""

    frame: pl.DataFrame
    utility: tuple[ColumnUtility, ...]
    records_in: int
    records_out: int
    suppressed_records: int
    dropped_columns: tuple[str, ...]
    risk: RiskReport


def deidentify(
    frame: pl.DataFrame,
    profile: Profile,
    *,
    key: bytes | None = None,
    generalisation: Mapping[str, str] | None = None,
    scenario: str = DEFAULT_SCENARIO,
    progress: Callable[[str], None] | None = None,
) -> DeidResult:
    """Apply ``profile`` to ``frame``.

    Every operator sees the original frame (so ``date_shift`` keys on the real individual id
    even when that column is pseudonymised). Records are then dropped by ``suppress`` rules
    with scope ``record`` and, when the profile sets ``k_anonymity``, by the classes of the
    quasi-identifiers smaller than k (refused if that exceeds ``max_suppression``).
    ``generalisation`` labels columns with the step the k search chose.
    """
    missing = [r.column for r in profile.rules if r.column not in frame.columns]
    if missing:
        raise InputError(
            f"{profile.source}: column(s) {', '.join(map(repr, missing))} not in the input; "
            f"columns: {choices(frame.columns)}"
        )
    unlisted = [c for c in frame.columns if profile.rule(c) is None]
    if unlisted and profile.unlisted == "error":
        raise InputError(
            f"{profile.source}: input column(s) {', '.join(map(repr, unlisted))} are not in the "
            "profile; add a rule for each or set 'unlisted: keep' or 'unlisted: drop'"
        )
    if profile.needs_key and key is None:
        keyed = sorted({r.operator for r in profile.rules if OPERATORS[r.operator].needs_key})
        raise InputError(f"the profile uses {', '.join(keyed)}, which need a secret key: {HOW_TO}")
    out: dict[str, pl.Series] = {}
    keep_rows = pl.Series("keep", [True] * frame.height, dtype=pl.Boolean)
    for name in frame.columns:
        rule = profile.rule(name)
        if rule is None:
            if profile.unlisted == "keep":
                out[name] = frame[name]
            continue
        if progress:
            progress(f"{rule.operator} {name}")
        out[name] = OPERATORS[rule.operator].apply(frame, name, rule.params, key).alias(name)
        if rule.operator == "suppress" and rule.params.get("scope") == "record":
            keep_rows = keep_rows & ~suppressed_cells(frame, name, rule.params)
    result = pl.DataFrame(out)
    quasi = [c for c in _quasi_after(profile) if c in result.columns]
    if profile.k is not None:
        # Count class sizes among the records that survive record-scope suppression only.
        sizes = (
            result.with_columns(__keep=keep_rows)
            .select(pl.len().over([*quasi, "__keep"]))
            .to_series()
        )
        small = keep_rows & (sizes < profile.k)
        share = small.sum() / max(frame.height, 1)
        if share > profile.max_suppression:
            raise InputError(
                f"{profile.source}: reaching k={profile.k} would suppress {share:.1%} of records, "
                f"more than max_suppression {profile.max_suppression:.1%}; generalise the "
                "quasi-identifiers further (e.g. --auto --k) or raise --max-suppression"
            )
        keep_rows = keep_rows & ~small
    kept_in = frame.filter(keep_rows)
    result = result.filter(keep_rows)
    utility = tuple(
        _utility(frame, kept_in, result, name, profile, generalisation or {})
        for name in frame.columns
        if name in result.columns
    )
    direct, _, sensitive = output_roles(profile, result.columns)
    risk = measure_risk(
        result,
        quasi,
        sensitive,
        scenario=scenario,
        direct=direct,
        basis="profile",
        roles_known=any(r.role for r in profile.rules),
        table="output",
    )
    return DeidResult(
        frame=result,
        utility=utility,
        records_in=frame.height,
        records_out=result.height,
        suppressed_records=frame.height - result.height,
        dropped_columns=tuple(c for c in frame.columns if c not in result.columns),
        risk=risk,
    )


def output_roles(
    profile: Profile, columns: Sequence[str]
) -> tuple[list[str], list[str], list[str]]:
    """(direct, quasi, sensitive) columns of the output ``profile`` made, among ``columns``.

    A direct identifier that was pseudonymised, hashed, redacted or suppressed no longer
    identifies by itself; one only generalised is a quasi-identifier now.
    """
    present = set(columns)
    direct = [
        r.column
        for r in profile.rules
        if r.role == "direct" and r.operator not in REMOVES_DIRECT and r.column in present
    ]
    quasi = [c for c in _quasi_after(profile) if c in present]
    sensitive = [c for c in profile.columns_with("sensitive") if c in present]
    return direct, quasi, sensitive


def _quasi_after(profile: Profile) -> list[str]:
    """Quasi-identifiers of the output: declared ones, plus direct ones only generalised."""
    cols = list(profile.columns_with("quasi"))
    cols += [
        r.column
        for r in profile.rules
        if r.role == "direct" and r.operator == "generalize" and r.column not in cols
    ]
    return cols


def _utility(
    before_all: pl.DataFrame,
    before: pl.DataFrame,
    after: pl.DataFrame,
    name: str,
    profile: Profile,
    labels: Mapping[str, str],
) -> ColumnUtility:
    rule = profile.rule(name)
    lost = (before[name].is_not_null() & after[name].is_null()).sum()
    label = labels.get(name, "")
    if not label and rule is not None and rule.operator == "generalize":
        label = _step_label(before_all[name], rule)
    return ColumnUtility(
        column=name,
        operator=rule.operator if rule else "keep",
        role=rule.role if rule else None,
        distinct_before=_distinct(before_all[name]),
        distinct_after=_distinct(after[name]),
        suppressed_cells=int(lost),
        generalisation=label,
    )


def _step_label(series: pl.Series, rule: Rule) -> str:
    """'2/4 (date to year)' when the rule is a step of the column's ladder, else its params."""
    ladder = build_ladder(series, (rule.info_type,) if rule.info_type else ())
    level = level_of(ladder, rule.operator, rule.params)
    if level is not None:
        return f"{level}/{ladder.top} ({ladder.steps[level].label})"
    return ", ".join(f"{k}={v}" for k, v in rule.params.items())


def _distinct(series: pl.Series) -> int:
    # Counting 64-bit hashes is about 3x faster than comparing strings; a collision among a
    # column's values has a probability of about n^2 / 2^65.
    return series.hash(seed=0).n_unique()
