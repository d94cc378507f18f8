"""Subject maps: where a data subject's rows live, and what deletion does to each table.

A YAML file names databases, and in each the tables that hold a subject's rows: found by
identifier columns (column → info type) or by declared foreign keys to another table of the map,
and handled on deletion by ``delete``, ``mask`` (columns set to null or a constant) or ``keep``
(with the legal reason to keep them). See docs/records.md::

    databases:
      shop:
        url: sqlite:///demo-data/shop.db      # or ${SHOP_DB_URL}
        tables:
          members: {identifiers: {手机号: CN_MOBILE_PHONE}, on_delete: delete}
          orders:
            foreign_keys: [{column: member_id, references: members.id}]
            on_delete: mask
            mask: {收货人: null, 收货地址: "***"}
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from fenji.errors import ConfigError, InputError, choices
from fenji.infotypes import INFO_TYPES

ON_DELETE = ("delete", "mask", "keep")
_TABLE_KEYS = frozenset({"identifiers", "foreign_keys", "on_delete", "mask", "reason"})
_ENV_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class ForeignKey:
    """``column`` of this table holds ``parent.parent_column`` of a subject's row."""

    column: str
    parent: str
    parent_column: str


@dataclass(frozen=True)
class TableSpec:
    name: str
    identifiers: Mapping[str, str]  # column -> info type
    foreign_keys: tuple[ForeignKey, ...]
    on_delete: str  # delete | mask | keep
    mask: Mapping[str, str | None]  # column -> replacement (None = NULL)
    reason: str | None = None  # why rows are kept (on_delete: keep)


@dataclass(frozen=True)
class DatabaseSpec:
    name: str
    url: str  # as written; ${VAR} expanded when connecting
    tables: tuple[TableSpec, ...]

    def table(self, name: str) -> TableSpec:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(name)


@dataclass(frozen=True)
class SubjectMap:
    source: str
    databases: tuple[DatabaseSpec, ...]


def expand_url(url: str, where: str) -> str:
    """Replace ``${VAR}`` with the environment's value (kept out of files: passwords)."""

    def sub(m: re.Match[str]) -> str:
        value = os.environ.get(m.group(1))
        if value is None:
            raise ConfigError(f"{where}: environment variable {m.group(1)} is not set")
        return value

    return _ENV_RE.sub(sub, url)


def load_subject_map(path: str | Path) -> SubjectMap:
    """Read and validate a subject map file."""
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise InputError(f"subject map {p} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"subject map {p} cannot be read: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark is not None else ""
        raise ConfigError(f"{p}: not valid YAML{line}") from None
    return parse_subject_map(data, str(p))


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict) or not value:
        raise ConfigError(f"{where}: expected a non-empty mapping")
    return value


def _table(name: str, raw: Any, where: str) -> TableSpec:
    raw = _mapping(raw, where)
    unknown = set(raw) - _TABLE_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key {sorted(unknown)[0]!r} (valid: "
                          f"{choices(_TABLE_KEYS)})")
    idents = {}
    for col, info_type in (raw.get("identifiers") or {}).items():
        if info_type not in INFO_TYPES:
            raise ConfigError(f"{where}.identifiers.{col}: {info_type!r} is not an info type"
                              f" (valid: {choices(INFO_TYPES)})")
        idents[str(col)] = str(info_type)
    fks = []
    for i, fk in enumerate(raw.get("foreign_keys") or []):
        at = f"{where}.foreign_keys[{i}]"
        if not isinstance(fk, dict) or set(fk) != {"column", "references"}:
            raise ConfigError(f"{at}: expected {{column: COL, references: TABLE.COLUMN}}")
        parent, dot, parent_col = str(fk["references"]).rpartition(".")
        if not dot or not parent or not parent_col:
            raise ConfigError(f"{at}.references: expected TABLE.COLUMN, got {fk['references']!r}")
        fks.append(ForeignKey(str(fk["column"]), parent, parent_col))
    if not idents and not fks:
        raise ConfigError(f"{where}: give identifiers or foreign_keys (how a subject's rows are"
                          " found)")
    on_delete = raw.get("on_delete", "delete")
    if on_delete not in ON_DELETE:
        raise ConfigError(f"{where}.on_delete: {on_delete!r} is not one of {choices(ON_DELETE)}")
    mask_raw = raw.get("mask")
    if isinstance(mask_raw, list):  # a list of columns: set them to NULL
        mask_raw = dict.fromkeys(mask_raw)
    mask = {str(k): (None if v is None else str(v)) for k, v in (mask_raw or {}).items()}
    if (on_delete == "mask") != bool(mask):
        raise ConfigError(f"{where}: mask (columns to blank) goes with on_delete: mask, and"
                          " on_delete: mask needs it")
    reason = raw.get("reason")
    if on_delete == "keep" and not reason:
        raise ConfigError(f"{where}: on_delete: keep needs a reason (the law or duty to keep)")
    return TableSpec(name, idents, tuple(fks), on_delete, mask, reason)


def _check_graph(db: DatabaseSpec, where: str) -> None:
    names = {t.name for t in db.tables}
    for t in db.tables:
        for fk in t.foreign_keys:
            if fk.parent not in names:
                raise ConfigError(f"{where}.tables.{t.name}: foreign key to {fk.parent!r}, which"
                                  f" is not in the map (tables: {choices(names)})")
            if db.table(fk.parent).on_delete == "delete" and t.on_delete != "delete":
                raise ConfigError(
                    f"{where}.tables.{t.name}: its rows are kept ({t.on_delete}) but refer to"
                    f" {fk.parent}, whose rows are deleted; mask {fk.parent} instead, or delete"
                    f" {t.name} too"
                )
    # Depth-first search for cycles: a cycle would make the match (and the delete order) endless.
    state: dict[str, int] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == 1:
            raise ConfigError(f"{where}: foreign keys form a cycle: {' -> '.join(path + [name])}")
        if state.get(name) == 2:
            return
        state[name] = 1
        for fk in db.table(name).foreign_keys:
            visit(fk.parent, path + [name])
        state[name] = 2

    for t in db.tables:
        visit(t.name, [])


def parse_subject_map(data: Any, source: str = "<subject map>") -> SubjectMap:
    """Validate an already-parsed subject map."""
    top = _mapping(data, source)
    if set(top) != {"databases"}:
        raise ConfigError(f"{source}: expected one top-level key, databases")
    dbs = []
    for db_name, raw in _mapping(top["databases"], f"{source}: databases").items():
        where = f"{source}: databases.{db_name}"
        raw = _mapping(raw, where)
        if set(raw) - {"url", "tables"} or "url" not in raw:
            raise ConfigError(f"{where}: expected keys url and tables")
        tables = tuple(_table(str(n), t, f"{where}.tables.{n}")
                       for n, t in _mapping(raw.get("tables"), f"{where}.tables").items())
        db = DatabaseSpec(str(db_name), str(raw["url"]), tables)
        _check_graph(db, where)
        dbs.append(db)
    return SubjectMap(source, tuple(dbs))


def delete_order(db: DatabaseSpec) -> list[TableSpec]:
    """Tables with children before their parents, so a child is matched (through its parent's
    rows) before the parent's rows are deleted or masked."""
    done: list[str] = []

    def visit(name: str) -> None:
        if name in done:
            return
        for fk in db.table(name).foreign_keys:
            visit(fk.parent)
        done.append(name)

    for t in db.tables:
        visit(t.name)
    return [db.table(n) for n in reversed(done)]
