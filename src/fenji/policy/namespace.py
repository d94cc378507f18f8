"""The closed fact namespace rule conditions may refer to.

Each fact has a type (checked when rules load, so ``gte`` is only used on numbers) and a one-line
meaning, shown by ``fenji rules show`` and in docs/policy.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType

from fenji.policy.schema import safeguard_keys

FactValue = bool | int | str | None | tuple[str, ...]


@dataclass(frozen=True)
class FactSpec:
    """One fact rules can test: its type (bool, int, str, list) and what it means."""

    type: str
    doc: str


_FIXED: dict[str, FactSpec] = {
    "processor.ciio": FactSpec("bool", "the processor is a critical information infrastructure "
                               "operator"),
    "processor.sector": FactSpec("str", "general, financial, automotive or healthcare"),
    "processor.gdpr": FactSpec("bool", "GDPR applies (default true)"),
    "processor.state_organ": FactSpec("bool", "a central or state organ"),
    "activity.kind": FactSpec("str", "collect, use, share, entrust, publish, export, retain, "
                              "transmit, delete, automated_decision or incident"),
    "activity.purpose": FactSpec("str", "the stated purpose"),
    "activity.legal_basis": FactSpec("str", "PIPL Art. 13 basis, null when not stated"),
    "activity.retention_days": FactSpec("int", "how long the data is kept"),
    "activity.retention_needed_days": FactSpec("int", "how long the purpose needs the data"),
    "activity.purpose_changed": FactSpec("bool", "purpose differs from original_purpose "
                                         "(null when either is missing)"),
    "activity.detected_at": FactSpec("str", "incident detection time (ISO 8601)"),
    "recipient.present": FactSpec("bool", "the activity names a recipient"),
    "recipient.role": FactSpec("str", "controller, entrusted, foreign_authority or public"),
    "recipient.country": FactSpec("str", "ISO 3166-1 alpha-2 code"),
    "recipient.country_is_foreign": FactSpec("bool", "country is not CN (null when unknown)"),
    "facts.individuals": FactSpec("int", "distinct individuals in this activity's data"),
    "facts.sensitive_individuals": FactSpec("int", "individuals whose sensitive PI is involved"),
    "facts.minors_under_14": FactSpec("int", "individuals under 14"),
    "facts.important_data": FactSpec("bool", "important (or core) data is involved"),
    "facts.level_rank": FactSpec("int", "highest level rank (general-N = N, important 5, core 6,"
                                 " LN = N)"),
    "facts.levels": FactSpec("list", "level ids of the data"),
    "facts.info_types": FactSpec("list", "info-type ids of the data"),
    "facts.has_pi": FactSpec("bool", "any individual or personal info type is involved"),
    "facts.upper_bound": FactSpec("bool", "facts.individuals is a sum of counts (upper bound)"),
    "cumulative.individuals": FactSpec("int", "exports: distinct individuals sent abroad since 1 "
                                       "January, this activity included (else = facts)"),
    "cumulative.sensitive_individuals": FactSpec("int", "the same for sensitive PI"),
    "cumulative.exports": FactSpec("int", "earlier exports this year counted"),
    "cumulative.upper_bound": FactSpec("bool", "cumulative counts are sums (upper bounds)"),
    "exemption": FactSpec("str", "claimed cross-border exemption, null when none"),
}


@cache
def fact_specs() -> Mapping[str, FactSpec]:
    """Every fact name rules may use, with its type and meaning."""
    specs = dict(_FIXED)
    for key in safeguard_keys():
        specs[f"safeguards.{key}"] = FactSpec("bool", f"safeguard {key} is in place")
    return MappingProxyType(specs)
