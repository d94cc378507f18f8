"""Rule conditions: a small closed set of operators over the fact namespace.

A condition is a one-key mapping ``{operator: arguments}`` or a constant ``true``/``false``:

- ``all: [cond, ...]``, ``any: [cond, ...]``, ``not: cond``
- ``eq: [fact, value]``, ``ne: [fact, value]``, ``in: [fact, [values]]``
- ``gt``/``gte``/``lt``/``lte: [fact, number]``, ``between: [fact, low, high]`` (inclusive)
- ``true: fact``, ``false: fact``, ``set: fact`` (not null)
- ``contains_any: [fact, [values]]`` (list facts such as ``facts.info_types``)

A value may be a literal, ``$name`` (a rule parameter) or ``{fact: name}`` (another fact).
Ordering comparisons with an unknown (null) fact are false. Conditions are checked when the
rules load, so a typo fails there, naming the file and rule code.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Set
from dataclasses import dataclass
from typing import Any

from fenji.errors import ConfigError, choices
from fenji.policy.namespace import FactValue, fact_specs

ParamValue = bool | int | str

LOGICAL = ("all", "any", "not")
# operator -> (argument count after the fact, fact types it accepts; empty = any type)
TESTS: Mapping[str, tuple[int, frozenset[str]]] = {
    "eq": (1, frozenset()),
    "ne": (1, frozenset()),
    "in": (1, frozenset()),
    "gt": (1, frozenset({"int"})),
    "gte": (1, frozenset({"int"})),
    "lt": (1, frozenset({"int"})),
    "lte": (1, frozenset({"int"})),
    "between": (2, frozenset({"int"})),
    "true": (0, frozenset({"bool"})),
    "false": (0, frozenset({"bool"})),
    "set": (0, frozenset()),
    "contains_any": (1, frozenset({"list"})),
}
OPERATORS: tuple[str, ...] = LOGICAL + tuple(TESTS)
_TYPE_WORDS = {"int": "number", "bool": "boolean", "str": "text", "list": "list"}


@dataclass(frozen=True)
class Param:
    """A reference to a rule parameter (``$max_days``)."""

    name: str


@dataclass(frozen=True)
class FactRef:
    """A reference to another fact (``{fact: activity.retention_needed_days}``)."""

    name: str


Operand = Param | FactRef | ParamValue | None | tuple[Any, ...]


@dataclass(frozen=True)
class Const:
    value: bool


@dataclass(frozen=True)
class Logical:
    op: str  # all | any | not
    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class Test:
    op: str
    fact: str
    args: tuple[Operand, ...]


Condition = Const | Logical | Test


def parse_condition(raw: Any, where: str, params: Set[str]) -> Condition:
    """Parse and validate one condition; ``where`` prefixes error messages (file, rule)."""
    if isinstance(raw, bool):
        return Const(raw)
    if not isinstance(raw, Mapping) or len(raw) != 1:
        raise ConfigError(
            f"{where}: a condition is a mapping with one operator (valid: {choices(OPERATORS)}) "
            f"or true/false, got {_short(raw)}"
        )
    ((op, arg),) = raw.items()
    if isinstance(op, bool):  # YAML 1.1 reads the keys `true:` / `false:` as booleans
        op = "true" if op else "false"
    if op not in OPERATORS:
        raise ConfigError(f"{where}: unknown operator {op!r} (valid: {choices(OPERATORS)})")
    if op == "not":
        return Logical("not", (parse_condition(arg, where, params),))
    if op in LOGICAL:
        if not isinstance(arg, list) or not arg:
            raise ConfigError(f"{where}: '{op}' takes a non-empty list of conditions")
        return Logical(op, tuple(parse_condition(a, where, params) for a in arg))
    nargs, types = TESTS[op]
    items = [arg] if nargs == 0 and not isinstance(arg, list) else arg
    if not isinstance(items, list) or len(items) != nargs + 1:
        shape = "fact" if nargs == 0 else "[fact" + ", value" * nargs + "]"
        raise ConfigError(f"{where}: '{op}' takes {shape}, got {_short(arg)}")
    fact = _fact_name(items[0], where)
    ftype = fact_specs()[fact].type
    if types and ftype not in types:
        want = " or ".join(sorted(_TYPE_WORDS[t] for t in types))
        raise ConfigError(f"{where}: '{op}' needs a {want} fact; {fact} is {_TYPE_WORDS[ftype]}")
    args = tuple(_operand(a, op, ftype, where, params) for a in items[1:])
    return Test(op, fact, args)


def _fact_name(raw: Any, where: str) -> str:
    specs = fact_specs()
    if not isinstance(raw, str) or raw not in specs:
        raise ConfigError(f"{where}: unknown fact {_short(raw)} (valid: {choices(specs)})")
    return raw


def _operand(raw: Any, op: str, ftype: str, where: str, params: Set[str]) -> Operand:
    if isinstance(raw, str) and raw.startswith("$"):
        if raw[1:] not in params:
            raise ConfigError(
                f"{where}: unknown parameter {raw!r} (declared: {choices(params) or 'none'})"
            )
        return Param(raw[1:])
    if isinstance(raw, Mapping):
        if set(raw) != {"fact"}:
            raise ConfigError(f"{where}: a value mapping must be {{fact: NAME}}, got {_short(raw)}")
        return FactRef(_fact_name(raw["fact"], where))
    if op in ("in", "contains_any"):
        if not isinstance(raw, list):
            raise ConfigError(f"{where}: '{op}' needs a list of values, got {_short(raw)}")
        return tuple(raw)
    if ftype == "int" and (isinstance(raw, bool) or not isinstance(raw, int)):
        raise ConfigError(f"{where}: '{op}' compares a number; got {_short(raw)}")
    if raw is not None and not isinstance(raw, bool | int | str):
        raise ConfigError(f"{where}: unsupported value {_short(raw)}")
    return raw


def _short(raw: Any) -> str:
    text = repr(raw)
    return text if len(text) <= 60 else text[:57] + "..."


def evaluate(
    cond: Condition, facts: Mapping[str, FactValue], params: Mapping[str, ParamValue]
) -> bool:
    """Evaluate a parsed condition against facts and rule parameters."""
    if isinstance(cond, Const):
        return cond.value
    if isinstance(cond, Logical):
        if cond.op == "not":
            return not evaluate(cond.parts[0], facts, params)
        results = (evaluate(p, facts, params) for p in cond.parts)
        return all(results) if cond.op == "all" else any(results)
    value = facts.get(cond.fact)
    args = [_resolve(a, facts, params) for a in cond.args]
    op = cond.op
    if op == "eq":
        return value == args[0]
    if op == "ne":
        return value != args[0]
    if op == "in":
        return value in args[0]
    if op == "true":
        return value is True
    if op == "false":
        return value is False
    if op == "set":
        return value is not None
    if op == "contains_any":
        return isinstance(value, tuple) and bool(set(value) & set(args[0]))
    if not isinstance(value, int) or any(a is None for a in args):
        return False  # ordering with an unknown number is false
    num = value
    nums = [int(a) for a in args]
    if op == "between":
        return nums[0] <= num <= nums[1]
    bound = nums[0]
    return {"gt": num > bound, "gte": num >= bound, "lt": num < bound, "lte": num <= bound}[op]


def _resolve(
    arg: Operand, facts: Mapping[str, FactValue], params: Mapping[str, ParamValue]
) -> Any:
    if isinstance(arg, Param):
        return params[arg.name]
    if isinstance(arg, FactRef):
        return facts.get(arg.name)
    return arg


def facts_used(cond: Condition) -> Iterator[str]:
    """Fact names a condition reads, in order of appearance (may repeat)."""
    if isinstance(cond, Logical):
        for part in cond.parts:
            yield from facts_used(part)
    elif isinstance(cond, Test):
        yield cond.fact
        for arg in cond.args:
            if isinstance(arg, FactRef):
                yield arg.name


def params_used(cond: Condition) -> Iterator[str]:
    """Parameter names a condition reads."""
    if isinstance(cond, Logical):
        for part in cond.parts:
            yield from params_used(part)
    elif isinstance(cond, Test):
        yield from (a.name for a in cond.args if isinstance(a, Param))
