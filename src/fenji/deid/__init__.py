"""De-identification whose effect is measured.

Operators (``OPERATORS``) turn columns into safer ones; a ``Profile`` says which operator each
column gets; ``search_k`` generalises quasi-identifiers until every class has at least k
records; ``deidentify`` applies a profile and reports utility and risk; ``measure_risk`` gives
k, l, prosecutor/journalist/marketer risk and the GB/T 42460-2023 effect grade.
"""

from __future__ import annotations

from fenji.deid.effect import SCENARIOS, EffectGrade, grade_effect
from fenji.deid.engine import ColumnUtility, DeidResult, deidentify
from fenji.deid.kanon import KResult, search_k
from fenji.deid.keys import load_key
from fenji.deid.operators import OPERATORS, Operator, validate_params
from fenji.deid.profile import Profile, Rule, auto_profile, load_profile, save_profile
from fenji.deid.pseudonym import reidentify
from fenji.deid.risk import RiskReport, RiskStats, measure_risk

__all__ = [
    "OPERATORS",
    "SCENARIOS",
    "ColumnUtility",
    "DeidResult",
    "EffectGrade",
    "KResult",
    "Operator",
    "Profile",
    "RiskReport",
    "RiskStats",
    "Rule",
    "auto_profile",
    "deidentify",
    "grade_effect",
    "load_key",
    "load_profile",
    "measure_risk",
    "reidentify",
    "save_profile",
    "search_k",
    "validate_params",
]
