"""Re-identification risk of a table from its quasi-identifiers (all vectorised group-bys).

Equivalence class = records sharing every quasi-identifier value (null counts as a value).
Prosecutor risk of a record = 1 / its class size; journalist risk = 1 / the size of the
matching class in a population table; marketer risk = expected share of records re-identified
when all are linked (classes / records, or sum(f/F) / records with a population).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from fenji.deid.effect import DEFAULT_SCENARIO, EffectGrade, grade_effect, scenario_threshold
from fenji.errors import InputError, choices


@dataclass(frozen=True)
class RiskStats:
    """Largest and mean record risk."""

    max: float
    avg: float


@dataclass(frozen=True)
class RiskReport:
    """What ``fenji risk`` prints."""

    records: int
    equivalence_classes: int
    k: int
    l: int | None  # noqa: E741 - the name of the measure
    uniques: int
    prosecutor_risk: RiskStats
    journalist_risk: RiskStats | None
    marketer_risk: float
    records_at_risk: float
    threshold: float
    quasi_identifiers: tuple[str, ...]
    sensitive_attributes: tuple[str, ...]
    effect_grade: EffectGrade

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``fenji risk --format json``)."""
        out: dict[str, Any] = {
            "records": self.records,
            "equivalence_classes": self.equivalence_classes,
            "k": self.k,
        }
        if self.l is not None:
            out["l"] = self.l
        out["uniques"] = self.uniques
        out["prosecutor_risk"] = {"max": self.prosecutor_risk.max, "avg": self.prosecutor_risk.avg}
        if self.journalist_risk is not None:
            out["journalist_risk"] = {
                "max": self.journalist_risk.max,
                "avg": self.journalist_risk.avg,
            }
        out["marketer_risk"] = self.marketer_risk
        out["records_at_risk"] = self.records_at_risk
        out["threshold"] = self.threshold
        out["quasi_identifiers"] = list(self.quasi_identifiers)
        out["sensitive_attributes"] = list(self.sensitive_attributes)
        out["effect_grade"] = self.effect_grade.to_dict()
        return out


def _require(frame: pl.DataFrame, columns: Sequence[str], what: str, table: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            f"{table}: {what} column(s) {', '.join(map(repr, missing))} not found; "
            f"columns: {choices(frame.columns)}"
        )


def measure_risk(
    frame: pl.DataFrame,
    quasi: Sequence[str],
    sensitive: Sequence[str] = (),
    *,
    population: pl.DataFrame | None = None,
    threshold: float | None = None,
    scenario: str = DEFAULT_SCENARIO,
    direct: Sequence[str] = (),
    basis: str = "declared",
    roles_known: bool = True,
    table: str = "input",
) -> RiskReport:
    """Measure k, l, uniques and prosecutor/journalist/marketer risk, and grade the effect.

    ``threshold`` (default: the scenario's acceptable risk, 0.2 for ``agreement``) decides
    which records count as at risk and the effect grade; ``direct`` lists direct identifiers
    still present in the table (any makes the grade L1).
    """
    quasi, sensitive = list(dict.fromkeys(quasi)), list(dict.fromkeys(sensitive))
    _require(frame, quasi, "quasi-identifier", table)
    _require(frame, sensitive, "sensitive", table)
    _require(frame, direct, "direct identifier", table)
    overlap = set(quasi) & set(sensitive)
    if overlap:
        raise InputError(f"column(s) {choices(overlap)} cannot be both quasi and sensitive")
    limit = scenario_threshold(scenario) if threshold is None else threshold
    if not 0 < limit <= 1:
        raise InputError(f"--threshold must be in (0, 1] (got {limit})")
    n = frame.height
    if quasi:
        aggs = [pl.len().alias("__f")]
        aggs += [
            pl.col(s).drop_nulls().n_unique().alias(f"__l{i}") for i, s in enumerate(sensitive)
        ]
        classes = frame.group_by(quasi).agg(aggs)
    else:
        classes = frame.select(
            pl.len().alias("__f"),
            *[pl.col(s).drop_nulls().n_unique().alias(f"__l{i}") for i, s in enumerate(sensitive)],
        )
    sizes = classes["__f"].to_numpy().astype(np.int64) if n else np.zeros(0, dtype=np.int64)
    j = int(sizes.size)
    k = int(sizes.min()) if j else 0
    l_value = None
    if sensitive and j:
        l_value = min(int(classes[f"__l{i}"].to_numpy().min()) for i in range(len(sensitive)))
    prosecutor = RiskStats(1.0 / k if k else 0.0, j / n if n else 0.0)
    at_risk = float(sizes[1.0 / np.maximum(sizes, 1) > limit + 1e-12].sum() / n) if n else 0.0
    journalist = None
    marketer = j / n if n else 0.0
    if population is not None and n:
        journalist, marketer = _journalist(classes, quasi, population, n)
    grade = grade_effect(
        direct,
        quasi,
        prosecutor.max if n else 0.0,
        scenario=scenario,
        threshold=threshold,
        basis=basis,
        roles_known=roles_known,
    )
    return RiskReport(
        records=n,
        equivalence_classes=j,
        k=k,
        l=l_value,
        uniques=int((sizes == 1).sum()),
        prosecutor_risk=prosecutor,
        journalist_risk=journalist,
        marketer_risk=marketer,
        records_at_risk=at_risk,
        threshold=limit,
        quasi_identifiers=tuple(quasi),
        sensitive_attributes=tuple(sensitive),
        effect_grade=grade,
    )


def _journalist(
    classes: pl.DataFrame, quasi: list[str], population: pl.DataFrame, n: int
) -> tuple[RiskStats, float]:
    """Journalist risk per record (1/F) and marketer risk (sum f/F / n) against a population."""
    _require(population, quasi, "quasi-identifier", "population")
    if not quasi:
        whole = float(max(population.height, n))
        return RiskStats(1.0 / whole, 1.0 / whole), 1.0 / whole
    text = [pl.col(c).cast(pl.Utf8) for c in quasi]
    pop = population.select(text).group_by(quasi).agg(pl.len().alias("__F"))
    joined = classes.select(*text, "__f").join(pop, on=quasi, how="left", nulls_equal=True)
    f = joined["__f"].to_numpy().astype(np.float64)
    # The sample is part of the population: a class is never smaller there than here.
    big_f = np.maximum(joined["__F"].fill_null(0).to_numpy().astype(np.float64), f)
    risk = 1.0 / big_f
    avg = float((f * risk).sum() / n)
    return RiskStats(float(risk.max()), avg), avg
