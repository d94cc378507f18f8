"""Findings + pack -> category, sensitive flag, identifier role and level, with citations.

A column's info types (and any column-name rule it matches) give its category, the PIPL Art. 28
sensitive flag under the pack's catalogue and its GB/T 42460-2023 role. Every grading rule whose
condition holds applies and the highest level wins; a table takes the highest column level,
raised by any table rule (volume, minors, combinations) that holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from fenji.errors import ConfigError, choices
from fenji.model import ColumnProfile, Grade, Individuals, InfoTypeHit
from fenji.packs.model import ROLES, Condition, NameRule, Pack, Rule, TypeClass

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@dataclass(frozen=True)
class ColumnGrade:
    """What the pack says about one column."""

    category: str | None  # taxonomy id of the best info type (or matched name rule)
    sensitive: bool  # sensitive PI (PIPL Art. 28) under the pack's catalogue
    role: str | None  # "direct" | "quasi" | "sensitive" (GB/T 42460-2023), strongest
    grade: Grade | None  # None when no rule applies (e.g. no PI)
    pi: bool = False  # the column holds personal information
    name_rules: tuple[str, ...] = ()  # ids of the column-name rules that matched


@dataclass(frozen=True)
class _Facts:
    info_types: frozenset[str]
    name_rules: frozenset[str]
    categories: frozenset[str]
    roles: frozenset[str]
    sensitive: bool
    pi: bool
    individuals: int | None = None
    minors: int | None = None


def match_name_rules(column_name: str, pack: Pack) -> tuple[NameRule, ...]:
    """The pack's column-name rules matching ``column_name`` (camelCase counts as snake_case)."""
    name = _CAMEL.sub("_", column_name).lower()
    return tuple(rule for rule in pack.name_rules if rule.pattern.search(name))


def grade_column(hits: Sequence[InfoTypeHit], column_name: str, pack: Pack) -> ColumnGrade:
    """Classify and grade one column from its asserted info types (best first) and its name."""
    return grade_classes([h.type for h in hits], match_name_rules(column_name, pack), pack,
                         column_name)


def grade_classes(
    info_types: Sequence[str], name_rules: Sequence[NameRule], pack: Pack, column_name: str = ""
) -> ColumnGrade:
    """Classify and grade a column holding ``info_types`` (best first), matching ``name_rules``."""
    unknown = sorted(set(info_types) - pack.info_types.keys())
    if unknown:
        raise ConfigError(
            f"column {column_name!r}: info type {unknown[0]!r} is not in pack {pack.name!r} "
            f"({pack.path / 'taxonomy.yaml'}); valid: {choices(pack.info_types)}"
        )
    classes: list[TypeClass | NameRule] = [pack.info_types[t] for t in dict.fromkeys(info_types)]
    classes.extend(name_rules)
    if not classes:
        return ColumnGrade(category=None, sensitive=False, role=None, grade=None)
    roles = frozenset(c.role for c in classes if c.role is not None)
    facts = _Facts(
        info_types=frozenset(info_types),
        name_rules=frozenset(r.id for r in name_rules),
        categories=frozenset(c.category for c in classes),
        roles=roles,
        sensitive=any(c.sensitive for c in classes),
        pi=any(pack.categories[c.category].pi for c in classes),
    )
    return ColumnGrade(
        category=classes[0].category,
        sensitive=facts.sensitive,
        role=next((r for r in ROLES if r in roles), None),
        grade=_decide(pack.column_rules, facts, pack),
        pi=facts.pi,
        name_rules=tuple(r.id for r in name_rules),
    )


def grade_table(
    columns: Sequence[ColumnProfile], individuals: Individuals | None, pack: Pack
) -> Grade:
    """Grade a table: the highest column level, raised by any table rule that holds.

    When neither columns nor table rules give a level, the pack's ``default`` level applies.
    """
    best: Grade | None = None
    for col in columns:
        if col.grade is None:
            continue
        level = pack.levels.get(col.grade.level)
        if level is None or col.grade.scheme != pack.scheme:
            raise ConfigError(
                f"column {col.name!r} is graded {col.grade.level!r} under {col.grade.scheme!r}; "
                f"pack {pack.name!r} uses {pack.scheme!r} with levels {choices(pack.levels)}"
            )
        if best is None or level.rank > best.rank:
            best = col.grade
    facts = _Facts(
        info_types=frozenset(h.type for col in columns for h in col.info_types),
        name_rules=frozenset(),
        categories=frozenset(col.category for col in columns if col.category),
        roles=frozenset(col.role for col in columns if col.role),
        sensitive=any(col.sensitive for col in columns),
        pi=any(col.category in pack.categories and pack.categories[col.category].pi
               for col in columns if col.category),
        individuals=individuals.estimate if individuals else None,
        minors=individuals.minors_under_14 if individuals else None,
    )
    raised = _decide(pack.table_rules, facts, pack)
    if raised is not None and (best is None or raised.rank > best.rank):
        best = raised  # a tie keeps the column's rule: the table rule adds nothing
    return best if best is not None else _grade(pack.default_rule, pack)


def _decide(rules: Iterable[Rule], facts: _Facts, pack: Pack) -> Grade | None:
    """The highest level among the rules that hold (the first such rule on a tie)."""
    best: Rule | None = None
    for rule in rules:
        if _holds(rule.when, facts) and (
            best is None or pack.levels[rule.level].rank > pack.levels[best.level].rank
        ):
            best = rule
    return None if best is None else _grade(best, pack)


def _grade(rule: Rule, pack: Pack) -> Grade:
    level = pack.levels[rule.level]
    citations = rule.citations + (() if level.citation in rule.citations else (level.citation,))
    return Grade(pack.scheme, level.id, level.rank, citations, rule.id)


def _holds(c: Condition, f: _Facts) -> bool:
    # Column rules use `sensitive`/`pi`, table rules `has_sensitive`/`has_pi`; the loader keeps
    # each to its own rule kind, so both read the same fact here.
    n, m = f.individuals, f.minors
    checks = (
        c.info_type_in is None or bool(c.info_type_in & f.info_types),
        c.info_types_all is None or c.info_types_all <= f.info_types,
        c.name_rule_in is None or bool(c.name_rule_in & f.name_rules),
        c.category_in is None or bool(c.category_in & f.categories),
        c.role_in is None or bool(c.role_in & f.roles),
        c.sensitive is None or c.sensitive == f.sensitive,
        c.has_sensitive is None or c.has_sensitive == f.sensitive,
        c.pi is None or c.pi == f.pi,
        c.has_pi is None or c.has_pi == f.pi,
        # an unknown count satisfies no volume condition
        c.individuals_gt is None or (n is not None and n > c.individuals_gt),
        c.individuals_gte is None or (n is not None and n >= c.individuals_gte),
        c.minors_under_14_gt is None or (m is not None and m > c.minors_under_14_gt),
    )
    return all(checks)
