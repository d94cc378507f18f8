"""De-identification effect grade modelled on GB/T 42460-2023 (clause 4, procedure 6.2-6.3).

L1 any direct identifier present; L4 no identifier at all; otherwise only quasi-identifiers
remain and the largest record re-identification risk (1 / size of the record's equivalence
class, Annex D) decides: L3 at or below the scenario threshold, L2 above it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from fenji.errors import InputError, choices

STANDARD = "GB/T 42460-2023"
VERIFY = "(verify: Annex D numbers from a secondary source)"
# Acceptable record risk per sharing scenario (GB/T 42460-2023 informative Annex D).
SCENARIOS: dict[str, float] = {"public": 1 / 20, "agreement": 1 / 5, "enclave": 1 / 3}
SCENARIO_TEXT = {
    "public": "public release",
    "agreement": "sharing under a data-use agreement",
    "enclave": "sharing inside a controlled enclave",
}
DEFAULT_SCENARIO = "agreement"
LEVELS = {
    "L1": "contains at least one direct identifier",
    "L2": "only quasi-identifiers; re-identification risk above the acceptable threshold",
    "L3": "only quasi-identifiers; re-identification risk at or below the acceptable threshold",
    "L4": "no direct or quasi-identifiers",
    "unassessed": "not graded: no column has a known identifier role (declare roles in the "
    "profile, pass --direct/--quasi, or let the scanner classify the table)",
}
_EPS = 1e-12


@dataclass(frozen=True)
class EffectGrade:
    """A graded statement of de-identification effect, with what it was measured on."""

    level: str  # L1 .. L4
    statement: str
    scenario: str
    threshold: float
    max_record_risk: float | None
    direct_identifiers: tuple[str, ...]
    quasi_identifiers: tuple[str, ...]
    basis: str  # where the identifier roles came from: profile | scan | declared
    standard: str = STANDARD
    citations: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "standard": self.standard,
            "level": self.level,
            "statement": self.statement,
            "scenario": self.scenario,
            "threshold": self.threshold,
            "max_record_risk": self.max_record_risk,
            "direct_identifiers": list(self.direct_identifiers),
            "quasi_identifiers": list(self.quasi_identifiers),
            "basis": self.basis,
            "citations": list(self.citations),
        }


def scenario_threshold(scenario: str) -> float:
    """The acceptable record risk for a sharing scenario (Annex D, to be verified)."""
    if scenario not in SCENARIOS:
        raise InputError(f"--scenario {scenario!r} is unknown; valid: {choices(SCENARIOS)}")
    return SCENARIOS[scenario]


def grade_effect(
    direct: Sequence[str],
    quasi: Sequence[str],
    max_record_risk: float | None,
    *,
    scenario: str = DEFAULT_SCENARIO,
    threshold: float | None = None,
    basis: str = "declared",
    roles_known: bool = True,
) -> EffectGrade:
    """Grade the effect: ``threshold`` overrides the scenario's acceptable record risk.

    Without any known identifier roles (``roles_known`` False) the grade is ``unassessed``:
    L4 would claim there is no identifier when nobody looked.
    """
    limit = scenario_threshold(scenario) if threshold is None else threshold
    citations = [f"{STANDARD} clause 4 (levels)", f"{STANDARD} 6.2-6.3 (procedure)"]
    if not roles_known and not direct and not quasi:
        level = "unassessed"
    elif direct:
        level = "L1"
    elif not quasi:
        level = "L4"
    else:
        risk = max_record_risk or 0.0
        level = "L3" if risk <= limit + _EPS else "L2"
        citations.append(f"{STANDARD} Annex D (record risk and thresholds) {VERIFY}")
    statement = f"{level}: {LEVELS[level]}"
    if level in ("L2", "L3"):
        where = SCENARIO_TEXT.get(scenario, scenario) if threshold is None else "custom threshold"
        statement += f" ({max_record_risk:.4g} vs {limit:.4g} for {where})"
    citations.append("PIPL Art. 73 (de-identified is still personal information)")
    return EffectGrade(
        level=level,
        statement=statement,
        scenario=scenario,
        threshold=limit,
        max_record_risk=max_record_risk,
        direct_identifiers=tuple(direct),
        quasi_identifiers=tuple(quasi),
        basis=basis,
        citations=tuple(citations),
    )
