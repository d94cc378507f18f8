"""Read a pack directory (and the pack it extends), merge, validate and freeze it.

Every problem names the file, the field and, for closed sets, the valid choices. Reading collects
all problems first so that ``validate_pack_dir`` can list them together; ``load_pack`` raises the
first as a ``ConfigError``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from fenji.errors import ConfigError, choices
from fenji.infotypes import INFO_TYPES
from fenji.packs.checks import Problems, boolean, cite, keys, load_yaml, text
from fenji.packs.model import (
    COLUMN_FIELDS,
    CONDITION_KINDS,
    ROLES,
    TABLE_FIELDS,
    Catalogue,
    Category,
    Condition,
    Level,
    NameRule,
    Pack,
    Rule,
    TypeClass,
)

PACKS_DIR = Path(__file__).resolve().parent
PACK_KEYS = {"name", "title", "description", "extends"}
TAXONOMY_KEYS = {"catalogues", "default_catalogue", "roles", "categories", "info_types",
                 "name_rules"}
GRADING_KEYS = {"scheme", "levels", "column_rules", "table_rules", "default"}


@dataclass
class _Src:
    """A value and the file it came from (for messages after packs are merged)."""

    value: Any
    file: Path


@dataclass
class _Raw:
    """A pack's YAML merged with the packs it extends; not yet validated across files."""

    dir: Path
    meta: dict[str, Any]
    taxonomy_file: Path
    grading_file: Path
    tax: dict[str, dict[str, _Src]] = field(default_factory=dict)  # section -> id -> entry
    default_catalogue: _Src | None = None
    grading: dict[str, _Src] = field(default_factory=dict)
    recognizers_path: Path = PACKS_DIR / "general" / "recognizers.yaml"


def list_packs() -> tuple[str, ...]:
    """Names of the packs shipped with fenji."""
    return tuple(sorted(p.parent.name for p in PACKS_DIR.glob("*/pack.yaml")))


def resolve_pack_dir(name: str | Path, base: Path | None = None) -> Path:
    """A shipped pack's name or a path to a pack directory -> that directory."""
    if isinstance(name, str) and name in list_packs():
        return PACKS_DIR / name
    path = Path(name) if base is None else base / name
    if (path / "pack.yaml").is_file():
        return path.resolve()
    raise ConfigError(
        f"unknown pack {str(name)!r}: not a shipped pack nor a directory with a pack.yaml; "
        f"valid: {choices(list_packs())}"
    )


def load_pack(name: str | Path, catalogue_version: str | None = None) -> Pack:
    """Load and validate a pack by shipped name or directory path.

    ``catalogue_version`` picks the sensitive-PI catalogue (default: the pack's own default);
    an unknown version raises ``ConfigError`` listing the valid ones.
    """
    path = resolve_pack_dir(name)
    if path.parent == PACKS_DIR:  # shipped packs never change while fenji runs
        return _load_cached(path, catalogue_version)
    return _load(path, catalogue_version)


@functools.lru_cache(maxsize=32)
def _load_cached(path: Path, catalogue_version: str | None) -> Pack:
    return _load(path, catalogue_version)


def _load(path: Path, catalogue_version: str | None) -> Pack:
    problems = Problems()
    pack = _build(_read(path, problems, ()), catalogue_version, problems)
    if problems or pack is None:
        more = f" (and {len(problems) - 1} more: run `fenji packs validate {path}`)"
        raise ConfigError(problems[0] + (more if len(problems) > 1 else ""))
    return pack


def validate_pack_dir(path: str | Path) -> list[str]:
    """Every problem found in the pack at ``path`` (empty when it is valid)."""
    directory = Path(path)
    if not (directory / "pack.yaml").is_file():
        return [f"{directory}: not a pack directory (no pack.yaml)"]
    problems = Problems()
    _build(_read(directory.resolve(), problems, ()), None, problems)
    return list(problems)


# -- reading and merging ----------------------------------------------------------------------


def _read(directory: Path, problems: Problems, seen: tuple[Path, ...]) -> _Raw:
    meta_file = directory / "pack.yaml"
    meta = keys(problems, meta_file, "", load_yaml(meta_file, problems, True), PACK_KEYS,
                 {"name", "title"})
    for key in sorted(PACK_KEYS & meta.keys()):
        text(problems, meta_file, key, meta[key])
    parent: _Raw | None = None
    extends = meta.get("extends")
    if isinstance(extends, str) and extends.strip():
        try:
            parent_dir = resolve_pack_dir(str(extends), directory)
        except ConfigError as exc:
            problems.add(meta_file, "extends", str(exc))
        else:
            if parent_dir in (*seen, directory):
                problems.add(meta_file, "extends",
                             f"circular: {parent_dir} is already being loaded")
            else:
                parent = _read(parent_dir, problems, (*seen, directory))
    raw = _Raw(directory, meta, directory / "taxonomy.yaml", directory / "grading.yaml")
    if parent is not None:
        raw.tax = {k: dict(v) for k, v in parent.tax.items()}
        raw.default_catalogue = parent.default_catalogue
        raw.grading = dict(parent.grading)
        raw.recognizers_path = parent.recognizers_path
    if (directory / "recognizers.yaml").is_file():
        raw.recognizers_path = directory / "recognizers.yaml"
    _merge_taxonomy(raw, load_yaml(raw.taxonomy_file, problems, parent is None), problems)
    grading = keys(problems, raw.grading_file, "",
                    load_yaml(raw.grading_file, problems, parent is None), GRADING_KEYS)
    raw.grading.update({k: _Src(v, raw.grading_file) for k, v in grading.items()})
    return raw


def _merge_taxonomy(raw: _Raw, data: dict[str, Any], problems: Problems) -> None:
    file = raw.taxonomy_file
    keys(problems, file, "", data, TAXONOMY_KEYS)
    if "default_catalogue" in data:
        raw.default_catalogue = _Src(data["default_catalogue"], file)
    for section in ("catalogues", "roles", "categories", "info_types"):
        if section not in data:
            continue
        entries = raw.tax.setdefault(section, {})
        for key, value in keys(problems, file, section, data[section],
                                set(map(str, data[section] or {}))).items():
            old = entries.get(str(key))
            # info types merge field by field so a sector pack can change one flag only
            if section == "info_types" and old is not None and isinstance(value, dict):
                value = {**old.value, **value}
            entries[str(key)] = _Src(value, file)
    if "name_rules" in data:
        rules = raw.tax.setdefault("name_rules", {})
        items = data["name_rules"]
        if not isinstance(items, list):
            problems.add(file, "name_rules", "must be a list")
            items = []
        for i, rule in enumerate(items):
            rule_id = str(rule.get("id") or f"#{i}") if isinstance(rule, dict) else f"#{i}"
            if rule_id in rules and rules[rule_id].file == file:
                problems.add(file, f"name_rules[{rule_id}]", "duplicate rule id")
            rules[rule_id] = _Src(rule, file)  # a sector pack's rule replaces one of the same id


# -- validation and freezing ------------------------------------------------------------------


def _build(raw: _Raw, version: str | None, problems: Problems) -> Pack | None:
    tax = raw.tax
    catalogues: dict[str, Catalogue] = {}
    for cid, src in tax.get("catalogues", {}).items():
        entry = keys(problems, src.file, f"catalogues.{cid}", src.value,
                      {"title", "citation"}, {"title", "citation"})
        catalogues[cid] = Catalogue(cid, *(text(problems, src.file, f"catalogues.{cid}.{k}",
                                                 entry.get(k)) for k in ("title", "citation")))
    if not catalogues:
        problems.add(raw.taxonomy_file, "catalogues", "at least one catalogue is required")
        return None
    default = raw.default_catalogue
    if default is None or default.value not in catalogues:
        problems.add(default.file if default else raw.taxonomy_file, "default_catalogue",
                     f"must name a catalogue; valid: {choices(catalogues)}")
        return None
    chosen = default.value if version is None else version
    if chosen not in catalogues:
        raise ConfigError(f"pack {raw.meta.get('name')!r}: unknown sensitive-PI catalogue version "
                          f"{chosen!r}; valid: {choices(catalogues)}")
    catalogue_cite = catalogues[chosen].citation

    roles = {r: text(problems, s.file, f"roles.{r}", s.value)
             for r, s in tax.get("roles", {}).items()}
    for role in roles.keys() - set(ROLES):
        problems.add(tax["roles"][role].file, f"roles.{role}",
                     f"unknown role; valid: {choices(ROLES)}")
    for role in sorted(set(ROLES) - roles.keys()):
        problems.add(raw.taxonomy_file, f"roles.{role}", "required (its citation)")

    categories: dict[str, Category] = {}
    for cid, src in tax.get("categories", {}).items():
        where = f"categories.{cid}"
        entry = keys(problems, src.file, where, src.value, {"label", "pi", "citation"},
                      {"label", "pi", "citation"})
        categories[cid] = Category(
            cid, text(problems, src.file, f"{where}.label", entry.get("label")),
            boolean(problems, src.file, f"{where}.pi", entry.get("pi")),
            text(problems, src.file, f"{where}.citation", entry.get("citation")))

    def classify(src: _Src, where: str, allowed: set[str]) -> dict[str, Any]:
        entry = keys(problems, src.file, where, src.value, allowed,
                      {"category", "sensitive", "role"})
        if "category" in entry and entry["category"] not in categories:
            problems.add(src.file, f"{where}.category", f"unknown category "
                         f"{entry['category']!r}; valid: {choices(categories)}")
        if entry.get("role") is not None and entry["role"] not in ROLES:
            problems.add(src.file, f"{where}.role",
                         f"unknown role {entry['role']!r}; valid: {choices(ROLES)}, null")
        sens = entry.get("sensitive")
        if isinstance(sens, dict):
            for cid in sens.keys() - catalogues.keys():
                problems.add(src.file, f"{where}.sensitive.{cid}",
                             f"unknown catalogue; valid: {choices(catalogues)}")
            for cid in sorted(catalogues.keys() - sens.keys()):
                problems.add(src.file, f"{where}.sensitive.{cid}", "missing catalogue")
            sens = sens.get(chosen)
        return {**entry, "sensitive": boolean(problems, src.file, f"{where}.sensitive", sens)}

    info_types: dict[str, TypeClass] = {}
    for tid, src in tax.get("info_types", {}).items():
        if tid not in INFO_TYPES:
            problems.add(src.file, f"info_types.{tid}",
                         f"unknown info type; valid: {choices(INFO_TYPES)}")
            continue
        e = classify(src, f"info_types.{tid}", {"category", "sensitive", "role", "note"})
        info_types[tid] = TypeClass(tid, str(e.get("category")), e["sensitive"], e.get("role"))
    for tid in INFO_TYPES:
        if tid not in info_types and tid not in tax.get("info_types", {}):
            problems.add(raw.taxonomy_file, f"info_types.{tid}",
                         "missing: every info type needs a category, sensitive flag and role")

    name_rules: list[NameRule] = []
    for rid, src in tax.get("name_rules", {}).items():
        where = f"name_rules[{rid}]"
        e = classify(src, where, {"id", "pattern", "category", "sensitive", "role", "citation",
                                  "note"})
        keys(problems, src.file, where, e, set(e), {"id", "pattern", "citation"})
        try:
            pattern = re.compile(str(e.get("pattern", "")), re.IGNORECASE)
        except re.error as exc:
            problems.add(src.file, f"{where}.pattern", f"bad regular expression: {exc}")
            continue
        name_rules.append(NameRule(
            rid, pattern, str(e.get("category")), e["sensitive"], e.get("role"),
            cite(problems, src.file, f"{where}.citation", e.get("citation"), catalogue_cite)))

    graded = _grading(raw, problems, catalogue_cite, {r.id for r in name_rules}, set(categories))
    if graded is None:
        return None
    scheme, levels, column_rules, table_rules, default_rule = graded
    rules_path = raw.dir / "rules.yaml"
    return Pack(
        name=str(raw.meta.get("name", raw.dir.name)), title=str(raw.meta.get("title", "")),
        description=str(raw.meta.get("description", "")).strip(), path=raw.dir,
        extends=raw.meta.get("extends"), scheme=scheme, catalogue_version=chosen,
        catalogues=MappingProxyType(catalogues), levels=MappingProxyType(levels),
        roles=MappingProxyType(roles), categories=MappingProxyType(categories),
        info_types=MappingProxyType(info_types), name_rules=tuple(name_rules),
        column_rules=column_rules, table_rules=table_rules, default_rule=default_rule,
        recognizers_path=raw.recognizers_path,
        rules_path=rules_path if rules_path.is_file() else None)


def _grading(raw: _Raw, problems: Problems, catalogue_cite: str, name_rules: set[str],
             categories: set[str]) -> tuple[str, dict[str, Level], tuple[Rule, ...],
                                            tuple[Rule, ...], Rule] | None:
    g = raw.grading
    for key in sorted({"scheme", "levels", "default"} - g.keys()):
        problems.add(raw.grading_file, key, "required")
    if {"scheme", "levels", "default"} - g.keys():
        return None
    scheme = text(problems, g["scheme"].file, "scheme", g["scheme"].value)
    levels: dict[str, Level] = {}
    file = g["levels"].file
    items = g["levels"].value if isinstance(g["levels"].value, list) else []
    if not items:
        problems.add(file, "levels", "must be a non-empty list")
    for i, item in enumerate(items):
        where = f"levels[{i}]"
        e = keys(problems, file, where, item, {"id", "rank", "label", "citation"},
                  {"id", "rank", "label", "citation"})
        rank = e.get("rank")
        if not isinstance(rank, int) or isinstance(rank, bool):
            problems.add(file, f"{where}.rank", "must be an integer")
            continue
        if rank in {lv.rank for lv in levels.values()} or e.get("id") in levels:
            problems.add(file, where, "duplicate level id or rank")
        lid = text(problems, file, f"{where}.id", e.get("id"))
        levels[lid] = Level(lid, rank, text(problems, file, f"{where}.label", e.get("label")),
                            text(problems, file, f"{where}.citation", e.get("citation")))
    levels = dict(sorted(levels.items(), key=lambda kv: kv[1].rank))
    refs = {"info_types": set(INFO_TYPES), "name_rules": name_rules, "categories": categories,
            "roles": set(ROLES)}

    def rule(src_file: Path, where: str, item: Any, fields: frozenset[str], id_key: str) -> Rule:
        allowed = {id_key, "level", "citations"} | ({"when", "note"} if id_key == "id" else set())
        e = keys(problems, src_file, where, item, allowed, {id_key, "level", "citations"})
        level = e.get("level")
        if level not in levels:
            problems.add(src_file, f"{where}.level",
                         f"unknown level {level!r}; valid: {choices(levels)}")
        cites = e.get("citations")
        if not isinstance(cites, list) or not cites:
            problems.add(src_file, f"{where}.citations", "must be a non-empty list of citations")
            cites = []
        return Rule(
            text(problems, src_file, f"{where}.{id_key}", e.get(id_key)), str(level),
            tuple(cite(problems, src_file, f"{where}.citations[{i}]", c, catalogue_cite)
                  for i, c in enumerate(cites)),
            _condition(problems, src_file, f"{where}.when", e.get("when") or {}, fields, refs),
            str(e.get("note") or ""))

    parsed: dict[str, tuple[Rule, ...]] = {}
    for key, fields in (("column_rules", COLUMN_FIELDS), ("table_rules", TABLE_FIELDS)):
        src = g.get(key, _Src([], raw.grading_file))
        if not isinstance(src.value, list):
            problems.add(src.file, key, "must be a list")
        parsed[key] = tuple(rule(src.file, f"{key}[{i}]", item, fields, "id")
                            for i, item in enumerate(src.value or ()))
        ids = [r.id for r in parsed[key]]
        for dup in sorted({i for i in ids if ids.count(i) > 1}):
            problems.add(src.file, key, f"duplicate rule id {dup!r}")
    default = rule(g["default"].file, "default", g["default"].value, TABLE_FIELDS, "rule")
    return scheme, levels, parsed["column_rules"], parsed["table_rules"], default


def _condition(problems: Problems, file: Path, where: str, data: Any, fields: frozenset[str],
               refs: dict[str, set[str]]) -> Condition:
    values: dict[str, Any] = {}
    for key, value in keys(problems, file, where, data, set(fields)).items():
        kind = CONDITION_KINDS.get(key)
        if key not in fields or kind is None:
            continue  # reported by _keys
        if kind == "bool":
            values[key] = boolean(problems, file, f"{where}.{key}", value)
        elif kind == "int":
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                problems.add(file, f"{where}.{key}", "must be a non-negative integer")
            values[key] = value
        elif not isinstance(value, list) or not value:
            problems.add(file, f"{where}.{key}", "must be a non-empty list")
        else:
            for bad in sorted(set(map(str, value)) - refs[kind]):
                problems.add(file, f"{where}.{key}",
                             f"unknown {kind[:-1].replace('_', ' ')} {bad!r}; "
                             f"valid: {choices(refs[kind])}")
            values[key] = frozenset(map(str, value))
    return Condition(**values)
