"""Policy rules as data: the rule model and the loader for ``packs/<sector>/rules.yaml``.

The general pack's rules always apply; a sector's rules add to them. Each rule has a stable code
(``XB01``), a one-line text, citations, an effect (obligation, prohibition or notice), a ``when``
condition saying when it applies and, for obligations, a ``met`` condition saying when it is
satisfied. Everything is validated at load; errors name the file and the rule code.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from fenji.errors import ConfigError, choices
from fenji.policy.conditions import (
    Condition,
    Param,
    ParamValue,
    Test,
    facts_used,
    params_used,
    parse_condition,
)
from fenji.policy.namespace import fact_specs
from fenji.policy.schema import sectors
from fenji.policy.vocab import BASE_INFO_TYPES

EFFECTS = ("obligation", "prohibition", "notice")
ROUTES = ("exempt", "standard_contract_or_certification", "security_assessment")  # laxest first
CITATION_STATUSES = ("draft", "verify")
CODE_RE = re.compile(r"^[A-Z]{2}[0-9]{2}$")
RULE_KEYS = frozenset(
    {"code", "text", "reason", "effect", "citations", "when", "met", "route", "deadline",
     "params", "enabled"}
)
FILE_KEYS = frozenset({"pack", "vocabulary", "rules"})


@dataclass(frozen=True)
class Citation:
    """Where a rule comes from. ``status`` is "draft" or "verify" for unsettled sources."""

    law: str
    article: str
    status: str = ""

    def __str__(self) -> str:
        text = f"{self.law} {self.article}".strip()
        return f"{text} ({self.status})" if self.status else text


@dataclass(frozen=True)
class Deadline:
    """When a notice is due: ``hours`` after detection, or a fixed text such as "immediately"."""

    hours: int | None = None
    text: str = ""


@dataclass(frozen=True)
class Rule:
    """One policy rule loaded from a pack's rules.yaml."""

    code: str
    text: str
    effect: str
    citations: tuple[Citation, ...]
    when: Condition
    met: Condition | None
    pack: str
    source: str  # file it came from
    reason: str = ""  # template over facts for findings; defaults to text
    route: str | None = None
    deadline: Deadline | None = None
    params: Mapping[str, ParamValue] = field(default_factory=dict)
    enabled: bool = True
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def citation(self) -> str:
        """All citations on one line."""
        return "; ".join(str(c) for c in self.citations)

    def facts(self) -> tuple[str, ...]:
        """Facts this rule reads, without repeats, in order of appearance."""
        names = list(facts_used(self.when))
        if self.met is not None:
            names.extend(facts_used(self.met))
        return tuple(dict.fromkeys(names))


@dataclass(frozen=True)
class RuleSet:
    """Rules that apply to one sector, plus the extra info-type ids its packs add."""

    sector: str
    rules: tuple[Rule, ...]
    vocabulary: Mapping[str, bool]  # extra info-type id -> personal?

    def get(self, code: str) -> Rule:
        """The rule with this code; ConfigError listing the codes when unknown."""
        for rule in self.rules:
            if rule.code == code:
                return rule
        raise ConfigError(f"unknown rule code {code!r} (valid: {choices(self.codes())})")

    def codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.rules)


def pack_rules_path(sector: str) -> Path:
    """Path of a pack's rules.yaml inside the installed package."""
    if sector not in sectors():
        raise ConfigError(f"unknown sector {sector!r} (valid: {choices(sectors())})")
    return Path(str(resources.files("fenji") / "packs" / sector / "rules.yaml"))


@cache
def load_rules(sector: str = "general") -> RuleSet:
    """General rules plus the sector's own; duplicate codes across packs are an error."""
    files = [load_rules_file(pack_rules_path("general"))]
    if sector != "general":
        files.append(load_rules_file(pack_rules_path(sector)))
    return merge_rule_files(sector, files)


def load_all_rules() -> RuleSet:
    """Every shipped rule of every pack (for ``fenji rules list``)."""
    return merge_rule_files("all", [load_rules_file(pack_rules_path(s)) for s in sectors()])


def merge_rule_files(sector: str, files: list[RuleSet]) -> RuleSet:
    """Concatenate rule sets, rejecting a code defined twice."""
    seen: dict[str, str] = {}
    rules: list[Rule] = []
    vocabulary: dict[str, bool] = {}
    for rs in files:
        for rule in rs.rules:
            if rule.code in seen:
                raise ConfigError(
                    f"{rule.source}: rule {rule.code}: code already defined in {seen[rule.code]}"
                )
            seen[rule.code] = rule.source
            rules.append(rule)
        vocabulary.update(rs.vocabulary)
    return RuleSet(sector, tuple(rules), MappingProxyType(vocabulary))


def load_rules_file(path: str | Path) -> RuleSet:
    """Load and validate one rules.yaml."""
    src = str(path)
    try:
        doc = yaml.safe_load(Path(path).read_text("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{src}: rules file not found") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{src}: not valid YAML: {exc}") from None
    if not isinstance(doc, Mapping) or not isinstance(doc.get("rules", []), list):
        raise ConfigError(f"{src}: expected a mapping with a 'rules' list")
    _no_unknown(doc, FILE_KEYS, src)
    pack = str(doc.get("pack", Path(path).parent.name))
    vocabulary = _vocabulary(doc.get("vocabulary") or [], src)
    rules = tuple(_rule(raw, i, pack, src) for i, raw in enumerate(doc.get("rules") or []))
    codes = [r.code for r in rules]
    dup = sorted({c for c in codes if codes.count(c) > 1})
    if dup:
        raise ConfigError(f"{src}: rule codes defined twice: {', '.join(dup)}")
    return RuleSet(pack, rules, MappingProxyType(vocabulary))


def _vocabulary(raw: Any, src: str) -> dict[str, bool]:
    out: dict[str, bool] = {}
    if not isinstance(raw, list):
        raise ConfigError(f"{src}: vocabulary: expected a list of {{id, personal, description}}")
    for i, item in enumerate(raw):
        where = f"{src}: vocabulary[{i}]"
        if not isinstance(item, Mapping) or not isinstance(item.get("id"), str):
            raise ConfigError(f"{where}: expected a mapping with an 'id'")
        _no_unknown(item, frozenset({"id", "personal", "description"}), where)
        if not re.fullmatch(r"[A-Z][A-Z0-9_]*", item["id"]):
            raise ConfigError(f"{where}: info-type ids are UPPER_CASE, got {item['id']!r}")
        if item["id"] in BASE_INFO_TYPES:
            raise ConfigError(f"{where}: {item['id']} is already a standard info type")
        out[item["id"]] = bool(item.get("personal", True))
    return out


def _no_unknown(raw: Mapping[str, Any], valid: frozenset[str], where: str) -> None:
    extra = sorted(set(raw) - valid)
    if extra:
        raise ConfigError(f"{where}: unknown key {extra[0]!r} (valid: {choices(valid)})")


def _rule(raw: Any, index: int, pack: str, src: str) -> Rule:
    code = raw.get("code") if isinstance(raw, Mapping) else None
    if not isinstance(code, str) or not CODE_RE.match(code):
        raise ConfigError(
            f"{src}: rules[{index}]: 'code' must be two capitals and two digits, got {code!r}"
        )
    where = f"{src}: rule {code}"
    _no_unknown(raw, RULE_KEYS, where)
    for key in ("text", "effect", "citations", "when"):
        if key not in raw:
            raise ConfigError(f"{where}: missing required key {key!r}")
    text = raw["text"]
    if not isinstance(text, str) or not text.strip() or "\n" in text.strip():
        raise ConfigError(f"{where}: 'text' must be one non-empty line")
    effect = raw["effect"]
    if effect not in EFFECTS:
        raise ConfigError(f"{where}: effect {effect!r} is not one of {choices(EFFECTS)}")
    params = _params(raw.get("params") or {}, where)
    when = parse_condition(raw["when"], f"{where}: when", params.keys())
    met = parse_condition(raw["met"], f"{where}: met", params.keys()) if "met" in raw else None
    if effect == "obligation" and met is None:
        raise ConfigError(f"{where}: an obligation needs a 'met' condition")
    if effect == "notice" and met is not None:
        raise ConfigError(f"{where}: a notice has no 'met' condition (it is always met)")
    _check_param_types(params, [when] + ([met] if met is not None else []), where)
    route = raw.get("route")
    if route is not None and route not in ROUTES:
        raise ConfigError(f"{where}: route {route!r} is not one of {choices(ROUTES)}")
    reason = raw.get("reason") or text
    _check_template(reason, params.keys(), where)
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ConfigError(f"{where}: 'enabled' must be true or false")
    return Rule(
        code=code,
        text=text.strip(),
        effect=effect,
        citations=_citations(raw["citations"], where),
        when=when,
        met=met,
        pack=pack,
        source=src,
        reason=reason.strip(),
        route=route,
        deadline=_deadline(raw.get("deadline"), where),
        params=MappingProxyType(params),
        enabled=enabled,
        raw=MappingProxyType(dict(raw)),
    )


def _params(raw: Any, where: str) -> dict[str, ParamValue]:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: 'params' must be a mapping of name: value")
    for name, value in raw.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ConfigError(f"{where}: parameter name {name!r} is not an identifier")
        if not isinstance(value, bool | int | str):
            raise ConfigError(f"{where}: parameter {name}: value must be a number, text or bool")
    return dict(raw)


def _check_param_types(
    params: Mapping[str, ParamValue], conds: list[Condition], where: str
) -> None:
    for cond in conds:
        for test in _tests(cond):
            if fact_specs()[test.fact].type != "int":
                continue
            for arg in test.args:
                if isinstance(arg, Param) and (
                    isinstance(params[arg.name], bool) or not isinstance(params[arg.name], int)
                ):
                    raise ConfigError(f"{where}: parameter {arg.name} is compared with a number")
    used = {p for c in conds for p in params_used(c)}
    unused = sorted(set(params) - used)
    if unused:
        raise ConfigError(f"{where}: parameter {unused[0]} is declared but never used")


def _tests(cond: Condition) -> list[Test]:
    if isinstance(cond, Test):
        return [cond]
    parts = getattr(cond, "parts", ())
    return [t for p in parts for t in _tests(p)]


def _check_template(template: str, params: Any, where: str) -> None:
    valid = set(fact_specs()) | {f"params.{p}" for p in params}
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError as exc:
        raise ConfigError(f"{where}: reason: {exc}") from None
    for name in fields:
        if name not in valid:
            raise ConfigError(f"{where}: reason: unknown field {{{name}}} (valid: facts, params.*)")


def _citations(raw: Any, where: str) -> tuple[Citation, ...]:
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"{where}: 'citations' must be a non-empty list of {{law, article}}")
    out = []
    for i, item in enumerate(raw):
        here = f"{where}: citations[{i}]"
        if not isinstance(item, Mapping) or not isinstance(item.get("law"), str):
            raise ConfigError(f"{here}: expected a mapping with 'law' and 'article'")
        _no_unknown(item, frozenset({"law", "article", "status"}), here)
        status = item.get("status") or ""
        if status and status not in CITATION_STATUSES:
            raise ConfigError(f"{here}: status {status!r} is not one of draft, verify")
        out.append(Citation(item["law"], str(item.get("article", "")), status))
    return tuple(out)


def _deadline(raw: Any, where: str) -> Deadline | None:
    if raw is None:
        return None
    if isinstance(raw, str) and raw.strip():
        return Deadline(text=raw.strip())
    if isinstance(raw, Mapping) and set(raw) == {"hours"} and type(raw["hours"]) is int:
        return Deadline(hours=raw["hours"])
    raise ConfigError(f"{where}: 'deadline' is a text (e.g. immediately) or {{hours: N}}")
