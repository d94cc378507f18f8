"""Matching a subject's identifier against database columns, inside the database.

The identifier is normalised in Python (``fenji.detect.normalize``), then both sides go through
the same small rule of ``records.yaml`` (``match``): fold full-width digits, drop separators, fix
case; the column side with portable SQL string functions (TRIM, REPLACE, UPPER/LOWER: SQLite,
PostgreSQL and MySQL all have them), the value side in Python. Values travel as bound
parameters, never spliced into SQL text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, String, cast, func, or_
from sqlalchemy.sql.expression import ColumnClause

from fenji.records.config import section
from fenji.records.subjects import normalised

_FULLWIDTH = "０１２３４５６７８９"


@dataclass(frozen=True)
class Identifier:
    """One identifier of the subject, as the operator typed it, with its info type."""

    type: str
    value: str

    def __repr__(self) -> str:  # never show the value, even in tracebacks
        return f"Identifier(type={self.type!r}, value=***)"


def _rule(info_type: str) -> Mapping[str, Any]:
    rules = section("match")
    return rules.get(info_type) or rules["default"]


def _fold(text: str, rule: Mapping[str, Any]) -> str:
    text = text.strip()
    if rule.get("fullwidth_digits"):
        text = text.translate({ord(c): str(i) for i, c in enumerate(_FULLWIDTH)})
    for ch in rule.get("remove", ()):
        text = text.replace(ch, "")
    case = rule.get("case", "none")
    return text.upper() if case == "upper" else text.lower() if case == "lower" else text


def candidates(ident: Identifier) -> list[str]:
    """The forms a stored value may take once folded, e.g. a mobile with or without +86."""
    rule = _rule(ident.type)
    value = _fold(normalised(ident.value, ident.type), rule)
    return [value] + [_fold(p, rule) + value for p in rule.get("prefixes", ())]


def folded(column: ColumnClause[Any] | ColumnElement[Any], info_type: str) -> ColumnElement[Any]:
    """The column folded in SQL by the same rule as ``candidates``."""
    rule = _rule(info_type)
    expr: ColumnElement[Any] = func.trim(cast(column, String()))
    if rule.get("fullwidth_digits"):
        for i, c in enumerate(_FULLWIDTH):
            expr = func.replace(expr, c, str(i))
    for ch in rule.get("remove", ()):
        expr = func.replace(expr, ch, "")
    case = rule.get("case", "none")
    if case == "upper":
        expr = func.upper(expr)
    elif case == "lower":
        expr = func.lower(expr)
    return expr


def identifier_clause(
    columns: Any,  # a Table's .c collection (or any mapping of name -> column)
    identifier_types: Mapping[str, str],
    idents: Sequence[Identifier],
) -> ColumnElement[bool] | None:
    """OR over every identifier column whose type one of ``idents`` has; None when none has."""
    parts = []
    for col_name, info_type in identifier_types.items():
        values = [v for i in idents if i.type == info_type for v in candidates(i)]
        if values:
            parts.append(folded(columns[col_name], info_type).in_(sorted(set(values))))
    return or_(*parts) if parts else None


def secrets_of(idents: Sequence[Identifier]) -> list[str]:
    """Every form of the identifiers, to blank out of error messages."""
    out = []
    for i in idents:
        out.append(i.value)
        out.extend(candidates(i))
    return sorted(set(out), key=len, reverse=True)
