"""The policy engine: an activity plus facts, through the rules, to a decision.

Verdict: ``deny`` when a prohibition is violated; ``allow_with_obligations`` when obligations
apply (exit code 1 while any is unmet, 0 when all are met); ``allow`` otherwise. For exports the
route is the strictest route among the rules that apply; route rules of laxer routes are then
superseded and left out.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

from fenji.errors import ConfigError, choices
from fenji.policy.activity import Activity, load_activity, parse_activity
from fenji.policy.breach import deadline_at
from fenji.policy.conditions import ParamValue, evaluate
from fenji.policy.facts import FactSet, FactsProvider, UnionEstimate, build_facts
from fenji.policy.namespace import FactValue
from fenji.policy.rules import ROUTES, Citation, Rule, RuleSet, load_rules

VERDICTS = ("allow", "allow_with_obligations", "deny")


@dataclass(frozen=True)
class PolicyFinding:
    """One rule that applies to the activity, and whether it is met."""

    code: str
    text: str  # one-line reason in plain language, with the facts filled in
    met: bool
    effect: str  # obligation | prohibition | notice
    citations: tuple[Citation, ...]
    facts: tuple[tuple[str, FactValue], ...]  # the facts the rule read
    route: str | None = None
    deadline: str | None = None  # ISO timestamp, or a text such as "immediately"
    notes: tuple[str, ...] = ()

    @property
    def citation(self) -> str:
        return "; ".join(str(c) for c in self.citations)


@dataclass(frozen=True)
class Decision:
    """What ``fenji check`` decided about one activity."""

    verdict: str
    route: str | None  # exports only: exempt | standard_contract_or_certification | ...
    findings: tuple[PolicyFinding, ...]
    source: str
    kind: str
    sector: str
    today: date
    facts: Mapping[str, FactValue] = field(default_factory=dict)
    data: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    disabled: tuple[str, ...] = ()

    @property
    def exit_code(self) -> int:
        """0 allow (or all obligations met); 1 deny or any obligation unmet."""
        if self.verdict == "deny" or any(not f.met for f in self.findings):
            return 1
        return 0


@dataclass(frozen=True)
class RuleSettings:
    """User switches: rules to disable or enable, parameter overrides.

    ``params`` maps a rule code to parameter values, e.g. ``{"AU02": {"max_days": 14}}``.
    """

    disabled: frozenset[str] = frozenset()
    enabled: frozenset[str] = frozenset()
    params: Mapping[str, Mapping[str, ParamValue]] = field(default_factory=dict)


def check(
    activity: Activity | str | Path | Mapping[str, Any],
    facts_provider: FactsProvider | None = None,
    today: date | None = None,
    *,
    union_estimate: UnionEstimate | None = None,
    settings: RuleSettings | None = None,
    rules: RuleSet | None = None,
) -> Decision:
    """Decide what the rules say about one activity (a file path, a parsed mapping or Activity).

    ``facts_provider`` resolves ``catalogue:`` data items and the export ledger; ``today`` fixes
    the calendar year for cumulative export counts; ``union_estimate`` merges HLL sketches
    (default: ``fenji.individuals.union_estimate``); ``rules`` replaces the shipped rules of the
    processor's sector (e.g. ``merge_rule_files`` of your own files).
    """
    if isinstance(activity, str | Path):
        activity = load_activity(activity)
    elif not isinstance(activity, Activity):
        activity = parse_activity(activity)
    today = today or date.today()
    settings = settings or RuleSettings()
    ruleset = rules or load_rules(activity.processor.sector)
    active = _active_rules(ruleset, settings)
    facts = build_facts(activity, facts_provider, today, union_estimate)
    findings = [f for rule in active
                if (f := _apply(rule, facts, activity, _params(rule, settings))) is not None]

    route = None
    if activity.kind == "export":
        routes = [f.route for f in findings if f.route]
        route = max(routes, key=ROUTES.index) if routes else "exempt"
        findings = [f for f in findings if f.route is None or f.route == route]

    if any(f.effect == "prohibition" and not f.met for f in findings):
        verdict = "deny"
    elif any(f.effect == "obligation" for f in findings):
        verdict = "allow_with_obligations"
    else:
        verdict = "allow"
    disabled = tuple(r.code for r in ruleset.rules if r not in active)
    return Decision(
        verdict=verdict,
        route=route,
        findings=tuple(findings),
        source=activity.source,
        kind=activity.kind,
        sector=activity.processor.sector,
        today=today,
        facts=facts.values,
        data=facts.data,
        notes=facts.notes,
        disabled=disabled,
    )


def _active_rules(ruleset: RuleSet, settings: RuleSettings) -> list[Rule]:
    codes = set(ruleset.codes())
    for what, chosen in (("disable", settings.disabled), ("enable", settings.enabled),
                         ("param", set(settings.params))):
        unknown = sorted(set(chosen) - codes)
        if unknown:
            raise ConfigError(f"--{what}: unknown rule {unknown[0]!r} for sector "
                              f"{ruleset.sector} (valid: {choices(codes)})")
    for code, overrides in settings.params.items():
        declared = ruleset.get(code).params
        for name, value in overrides.items():
            if name not in declared:
                raise ConfigError(f"--param: rule {code} has no parameter {name!r} "
                                  f"(valid: {choices(declared) or 'none'})")
            if type(value) is not type(declared[name]):
                want = {bool: "true or false", int: "a whole number"}.get(
                    type(declared[name]), "a text")
                raise ConfigError(f"--param: {code}.{name} must be {want}, got {value!r}")
    return [r for r in ruleset.rules
            if r.code not in settings.disabled and (r.enabled or r.code in settings.enabled)]


def _params(rule: Rule, settings: RuleSettings) -> dict[str, ParamValue]:
    return {**rule.params, **settings.params.get(rule.code, {})}


def _apply(
    rule: Rule, facts: FactSet, activity: Activity, params: Mapping[str, ParamValue]
) -> PolicyFinding | None:
    if not evaluate(rule.when, facts.values, params):
        return None
    # a notice is met by definition; a prohibition without an exception is violated
    met = rule.effect == "notice" if rule.met is None else evaluate(rule.met, facts.values, params)
    used = rule.facts()
    notes = []
    if any(n.startswith("cumulative.") for n in used) and facts.values["cumulative.upper_bound"]:
        notes.append("cumulative count is a sum of counts without sketches: an upper bound")
    elif any(n.startswith("facts.") for n in used) and facts.values["facts.upper_bound"]:
        notes.append("individuals are a sum of counts without sketches: an upper bound")
    deadline = None
    if rule.deadline is not None:
        deadline = deadline_at(rule.deadline, activity.detected_at)
    return PolicyFinding(
        code=rule.code,
        text=render_reason(rule.reason, facts.values, params),
        met=met,
        effect=rule.effect,
        citations=rule.citations,
        facts=tuple((n, facts.values.get(n)) for n in used),
        route=rule.route,
        deadline=deadline,
        notes=tuple(notes),
    )


class _FactFormatter(string.Formatter):
    """Fills ``{facts.individuals:,}`` from the flat fact mapping; null reads "unknown"."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = values

    def get_field(self, field_name: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
        return self.values.get(field_name), field_name

    def format_field(self, value: Any, format_spec: str) -> str:
        if value is None:
            return "unknown"
        if isinstance(value, tuple):
            return ", ".join(map(str, value)) or "none"
        if isinstance(value, bool):
            return "yes" if value else "no"
        return format(value, format_spec)


def render_reason(
    template: str, values: Mapping[str, FactValue], params: Mapping[str, ParamValue]
) -> str:
    """Fill a rule's reason template with fact values and parameters."""
    merged: dict[str, Any] = dict(values)
    merged.update({f"params.{k}": v for k, v in params.items()})
    return _FactFormatter(MappingProxyType(merged)).format(template)
