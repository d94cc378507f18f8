"""Facts about an activity's data: declared, or looked up in the catalogue through a provider.

Distinct individuals are combined across data items (and, for exports, across this calendar
year's earlier exports) by a union of HLL sketches, so a person in two tables counts once. Items
without a sketch can only be added up; the result is then flagged as an upper bound.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Protocol

from fenji.errors import ConfigError
from fenji.individuals import union_estimate as hll_union_estimate
from fenji.policy.activity import Activity, CatalogueData, DeclaredData
from fenji.policy.namespace import FactValue
from fenji.policy.rules import load_rules
from fenji.policy.vocab import IMPORTANT_LEVELS, LEVEL_RANKS, NON_PERSONAL_INFO_TYPES

UnionEstimate = Callable[[Sequence[bytes]], int]


@dataclass(frozen=True)
class TableFacts:
    """What the catalogue knows about one table (counts only, never values)."""

    name: str
    info_types: tuple[str, ...]
    individuals: int  # distinct-individual estimate
    sensitive_individuals: int = 0  # individuals in rows with sensitive PI
    minors_under_14: int = 0
    important_data: bool = False
    level: str | None = None  # level id, e.g. "general-4", "L3"
    sketch: bytes | None = None  # serialised HLL of the individuals (keyed hashes)
    sensitive_sketch: bytes | None = None  # the same for sensitive individuals, when kept


@dataclass(frozen=True)
class LedgerEntry:
    """One export recorded earlier (``fenji exports record``)."""

    date: date
    recipient: str
    individuals: int
    sensitive_individuals: int = 0
    sketch: bytes | None = None
    sensitive_sketch: bytes | None = None


class FactsProvider(Protocol):
    """Where catalogue facts and the export ledger come from (the catalogue implements it)."""

    def table_facts(self, name: str) -> TableFacts | None:
        """Facts of the named table from its latest scan; None when it is not in the catalogue."""
        ...

    def export_ledger(self, year: int) -> Sequence[LedgerEntry]:
        """Exports recorded in this calendar year."""
        ...


@dataclass(frozen=True)
class Count:
    """A count of distinct people; ``upper_bound`` when parts had to be summed."""

    value: int
    upper_bound: bool


def combine(parts: Sequence[tuple[int, bytes | None]], union: UnionEstimate) -> Count:
    """Distinct people across parts: union of the sketches, plus counts that have none."""
    nonzero = [(n, s) for n, s in parts if n > 0]
    if len(nonzero) <= 1:
        return Count(nonzero[0][0] if nonzero else 0, False)
    sketches = [s for _, s in nonzero if s]
    loose = [n for n, s in nonzero if not s]
    total = sum(loose)
    if len(sketches) == 1:
        total += next(n for n, s in nonzero if s)
    elif sketches:
        total += union(sketches)
    return Count(total, bool(loose))


@dataclass(frozen=True)
class FactSet:
    """Fact values for rule conditions, plus notes about how they were obtained."""

    values: Mapping[str, FactValue]
    notes: tuple[str, ...]
    data: tuple[str, ...]  # one label per data item, e.g. "catalogue:people"


def _resolve_items(activity: Activity, provider: FactsProvider | None) -> list[TableFacts]:
    out = []
    for i, item in enumerate(activity.data):
        if isinstance(item, DeclaredData):
            out.append(TableFacts(f"declared[{i}]", item.info_types, item.individuals,
                                  item.sensitive_individuals, item.minors_under_14,
                                  item.important_data, item.level))
            continue
        assert isinstance(item, CatalogueData)
        key = f"{activity.source}: activity.data[{i}].catalogue"
        if provider is None:
            raise ConfigError(f"{key}: no catalogue given, so table {item.table!r} cannot be "
                              "looked up (pass --catalogue URL, or declare the data instead)")
        facts = provider.table_facts(item.table)
        if facts is None:
            raise ConfigError(f"{key}: table {item.table!r} not in catalogue (scan it first)")
        out.append(facts)
    return out


def build_facts(
    activity: Activity,
    provider: FactsProvider | None = None,
    today: date | None = None,
    union: UnionEstimate | None = None,
) -> FactSet:
    """Evaluate every fact in the namespace for this activity."""
    today = today or date.today()
    union = union or hll_union_estimate
    tables = _resolve_items(activity, provider)
    notes: list[str] = []
    people = combine([(t.individuals, t.sketch) for t in tables], union)
    sensitive = combine([(t.sensitive_individuals, t.sensitive_sketch) for t in tables], union)
    minors = combine([(t.minors_under_14, None) for t in tables], union)
    info_types = tuple(sorted({i for t in tables for i in t.info_types}))
    levels = tuple(sorted({t.level for t in tables if t.level}, key=lambda x: LEVEL_RANKS[x]))
    vocab = load_rules(activity.processor.sector).vocabulary
    personal = [i for i in info_types if i not in NON_PERSONAL_INFO_TYPES and vocab.get(i, True)]
    if people.upper_bound or sensitive.upper_bound:
        notes.append("individuals in this activity are a sum over data items without sketches: "
                     "an upper bound (a person in two items is counted twice)")

    cum_people, cum_sensitive, exports = people, sensitive, 0
    if activity.kind == "export":
        if provider is None:
            notes.append("no export ledger given: earlier exports this year are not counted in "
                          "the cumulative totals")
        else:
            ledger = [e for e in provider.export_ledger(today.year)
                      if e.date.year == today.year and e.date <= today]
            exports = len(ledger)
            cum_people = combine([(t.individuals, t.sketch) for t in tables]
                                 + [(e.individuals, e.sketch) for e in ledger], union)
            cum_sensitive = combine([(t.sensitive_individuals, t.sensitive_sketch) for t in tables]
                                    + [(e.sensitive_individuals, e.sensitive_sketch)
                                       for e in ledger], union)
            if cum_people.upper_bound or cum_sensitive.upper_bound:
                notes.append(f"cumulative counts since 1 January {today.year} add up counts "
                             "without sketches: an upper bound (people in several exports are "
                             "counted more than once)")

    rec = activity.recipient
    values: dict[str, FactValue] = {
        "processor.ciio": activity.processor.ciio,
        "processor.sector": activity.processor.sector,
        "processor.gdpr": activity.processor.gdpr,
        "processor.state_organ": activity.processor.state_organ,
        "activity.kind": activity.kind,
        "activity.purpose": activity.purpose,
        "activity.legal_basis": activity.legal_basis,
        "activity.retention_days": activity.retention_days,
        "activity.retention_needed_days": activity.retention_needed_days,
        "activity.purpose_changed": _purpose_changed(activity),
        "activity.detected_at": (activity.detected_at.isoformat()
                                 if activity.detected_at else None),
        "recipient.present": rec is not None,
        "recipient.role": rec.role if rec else None,
        "recipient.country": rec.country if rec else None,
        "recipient.country_is_foreign": (rec.country != "CN"
                                         if rec is not None and rec.country else None),
        "facts.individuals": people.value,
        "facts.sensitive_individuals": sensitive.value,
        "facts.minors_under_14": minors.value,
        "facts.important_data": any(t.important_data or t.level in IMPORTANT_LEVELS
                                    for t in tables),
        "facts.level_rank": max((LEVEL_RANKS[lv] for lv in levels), default=None),
        "facts.levels": levels,
        "facts.info_types": info_types,
        "facts.has_pi": people.value > 0 or bool(personal),
        "facts.upper_bound": people.upper_bound or sensitive.upper_bound,
        "cumulative.individuals": cum_people.value,
        "cumulative.sensitive_individuals": cum_sensitive.value,
        "cumulative.exports": exports,
        "cumulative.upper_bound": cum_people.upper_bound or cum_sensitive.upper_bound,
        "exemption": activity.exemption,
    }
    for key, on in activity.safeguards.items():
        values[f"safeguards.{key}"] = on
    labels = tuple(t.name if t.name.startswith("declared[") else f"catalogue:{t.name}"
                   for t in tables)
    return FactSet(MappingProxyType(values), tuple(notes), labels)


def _purpose_changed(activity: Activity) -> bool | None:
    if not activity.purpose or not activity.original_purpose:
        return None
    def norm(s: str) -> str:
        return " ".join(s.casefold().split())
    return norm(activity.purpose) != norm(activity.original_purpose)
