"""Frozen types of a loaded pack: levels, categories, info-type classes, rules and the pack."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ROLES = ("direct", "quasi", "sensitive")
"""GB/T 42460-2023 identifier roles, strongest first (a column with several takes the first)."""

# Condition fields: name -> kind of value. Column rules see one column, table rules the table.
CONDITION_KINDS: Mapping[str, str] = {
    "info_type_in": "info_types",  # the column/table has at least one of these info types
    "info_types_all": "info_types",  # ... has every one of these
    "name_rule_in": "name_rules",  # the column name matched one of these name rules
    "category_in": "categories",
    "role_in": "roles",
    "sensitive": "bool",  # the column holds sensitive PI (true) or not (false)
    "pi": "bool",  # the column holds PI
    "has_sensitive": "bool",  # some column of the table holds sensitive PI
    "has_pi": "bool",
    "individuals_gt": "int",  # distinct individuals estimate > N
    "individuals_gte": "int",
    "minors_under_14_gt": "int",
}
COLUMN_FIELDS = frozenset(
    {"info_type_in", "info_types_all", "name_rule_in", "category_in", "role_in", "sensitive", "pi"}
)
TABLE_FIELDS = frozenset(
    {"info_type_in", "info_types_all", "category_in", "role_in", "has_sensitive", "has_pi",
     "individuals_gt", "individuals_gte", "minors_under_14_gt"}
)


@dataclass(frozen=True)
class Level:
    """One grading level of a scheme."""

    id: str
    rank: int
    label: str
    citation: str


@dataclass(frozen=True)
class Category:
    """A taxonomy category; ``pi`` says whether data of this category is personal information."""

    id: str
    label: str
    pi: bool
    citation: str


@dataclass(frozen=True)
class Catalogue:
    """A sensitive-PI catalogue version the pack can follow."""

    id: str
    title: str
    citation: str


@dataclass(frozen=True)
class TypeClass:
    """How the pack classifies one info type, under the chosen catalogue."""

    id: str
    category: str
    sensitive: bool
    role: str | None


@dataclass(frozen=True)
class NameRule:
    """A column-name pattern that classifies a column no info type describes (e.g. photos)."""

    id: str
    pattern: re.Pattern[str]
    category: str
    sensitive: bool
    role: str | None
    citation: str


@dataclass(frozen=True)
class Condition:
    """All given fields must hold (AND); an empty condition always holds."""

    info_type_in: frozenset[str] | None = None
    info_types_all: frozenset[str] | None = None
    name_rule_in: frozenset[str] | None = None
    category_in: frozenset[str] | None = None
    role_in: frozenset[str] | None = None
    sensitive: bool | None = None
    pi: bool | None = None
    has_sensitive: bool | None = None
    has_pi: bool | None = None
    individuals_gt: int | None = None
    individuals_gte: int | None = None
    minors_under_14_gt: int | None = None


@dataclass(frozen=True)
class Rule:
    """A grading rule: when its condition holds, the column or table gets at least ``level``."""

    id: str
    level: str
    citations: tuple[str, ...]
    when: Condition = Condition()
    note: str = ""


@dataclass(frozen=True)
class Pack:
    """A validated classification and grading pack (see docs/packs.md)."""

    name: str
    title: str
    description: str
    path: Path
    extends: str | None
    scheme: str
    catalogue_version: str
    catalogues: Mapping[str, Catalogue]
    levels: Mapping[str, Level]  # in rank order
    roles: Mapping[str, str]  # role -> citation
    categories: Mapping[str, Category]
    info_types: Mapping[str, TypeClass]
    name_rules: tuple[NameRule, ...]
    column_rules: tuple[Rule, ...]
    table_rules: tuple[Rule, ...]
    default_rule: Rule
    recognizers_path: Path
    rules_path: Path | None

    @property
    def catalogue(self) -> Catalogue:
        """The sensitive-PI catalogue this pack was loaded with."""
        return self.catalogues[self.catalogue_version]
