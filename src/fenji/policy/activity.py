"""Activity files: loading, JSON-Schema validation, semantic checks.

An activity file (YAML or JSON) describes one processing activity; its format is
``fenji/schemas/activity.schema.json`` and docs/policy.md. Every error names the file and the key
path, e.g. ``act.yaml: activity.recipient.role: 'boss' is not one of controller, entrusted,
foreign_authority, public``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from fenji.errors import ConfigError, InputError, choices
from fenji.policy.rules import load_rules
from fenji.policy.schema import activity_schema, safeguard_keys
from fenji.policy.vocab import BASE_INFO_TYPES, SECTOR_LEVELS, levels_for

# Kinds that hand data to someone else and so need a recipient.
NEEDS_RECIPIENT = ("share", "entrust", "export")
ROLES_FOR_KIND = {"share": ("controller", "foreign_authority"), "entrust": ("entrusted",)}


@dataclass(frozen=True)
class Processor:
    name: str
    ciio: bool = False
    sector: str = "general"
    gdpr: bool = True
    state_organ: bool = False


@dataclass(frozen=True)
class Recipient:
    name: str
    role: str
    country: str | None = None


@dataclass(frozen=True)
class DeclaredData:
    """Facts the user declares about data not (yet) in the catalogue."""

    individuals: int
    info_types: tuple[str, ...] = ()
    sensitive_individuals: int = 0
    minors_under_14: int = 0
    important_data: bool = False
    level: str | None = None


@dataclass(frozen=True)
class CatalogueData:
    """A catalogue table whose facts come from the last scan."""

    table: str


DataItem = DeclaredData | CatalogueData


@dataclass(frozen=True)
class Activity:
    """One processing activity, validated."""

    source: str  # file it came from, for error messages
    processor: Processor
    kind: str
    purpose: str | None = None
    original_purpose: str | None = None
    recipient: Recipient | None = None
    legal_basis: str | None = None
    retention_days: int | None = None
    retention_needed_days: int | None = None
    detected_at: datetime | None = None
    data: tuple[DataItem, ...] = ()
    safeguards: Mapping[str, bool] = field(default_factory=lambda: MappingProxyType({}))
    exemption: str | None = None


def load_activity(path: str | Path) -> Activity:
    """Read and validate an activity file (``.json``; anything else is read as YAML)."""
    p = Path(path)
    try:
        text = p.read_text("utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"activity file {p} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"activity file {p} cannot be read: {exc}") from None
    try:
        data = json.loads(text) if p.suffix.lower() == ".json" else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{p}: not valid JSON: {exc.msg} (line {exc.lineno})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise ConfigError(f"{p}: not valid YAML: {problem}{where}") from None
    return parse_activity(data, source=str(p))


def parse_activity(data: Any, source: str = "<activity>") -> Activity:
    """Validate an already-parsed activity document and build an ``Activity``."""
    _validate_schema(data, source)
    proc_raw = data["processor"]
    processor = Processor(
        name=proc_raw["name"],
        ciio=proc_raw.get("ciio", False),
        sector=proc_raw.get("sector", "general"),
        gdpr=proc_raw.get("gdpr", True),
        state_organ=proc_raw.get("state_organ", False),
    )
    act = data["activity"]
    rec = act.get("recipient")
    recipient = Recipient(rec["name"], rec["role"], rec.get("country")) if rec else None
    items = tuple(_data_item(item, i, processor.sector, source)
                  for i, item in enumerate(act.get("data") or []))
    safeguards = {k: False for k in safeguard_keys()}
    safeguards.update(act.get("safeguards") or {})
    activity = Activity(
        source=source,
        processor=processor,
        kind=act["kind"],
        purpose=act.get("purpose"),
        original_purpose=act.get("original_purpose"),
        recipient=recipient,
        legal_basis=act.get("legal_basis"),
        retention_days=act.get("retention_days"),
        retention_needed_days=act.get("retention_needed_days"),
        detected_at=_detected_at(act, source),
        data=items,
        safeguards=MappingProxyType(safeguards),
        exemption=act.get("exemption"),
    )
    _check_semantics(activity)
    return activity


# --- JSON Schema errors, rewritten to name the key path ---------------------------------------


def _validate_schema(data: Any, source: str) -> None:
    validator = Draft202012Validator(activity_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: _key_path(e.absolute_path))
    if errors:
        raise ConfigError("; ".join(f"{source}: {_describe(e)}" for e in errors[:5]))


def _key_path(parts: Sequence[Any]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _describe(err: ValidationError) -> str:
    path = _key_path(err.absolute_path)
    v, inst = err.validator, err.instance
    schema = err.schema if isinstance(err.schema, Mapping) else {}
    if v == "additionalProperties" and isinstance(inst, Mapping):
        valid = tuple(schema.get("properties", {}))
        extra = sorted(k for k in inst if k not in valid)[0]
        key = f"{path}.{extra}" if path else str(extra)
        return f"{key}: unknown key (valid keys: {choices(valid)})"
    if v == "required" and isinstance(inst, Mapping):
        missing = [k for k in err.validator_value if k not in inst][0]
        return f"{path + '.' if path else ''}{missing}: required key is missing"
    where = path or "(top level)"
    if v == "enum":
        values = [x for x in err.validator_value if x is not None]
        null = " (or null)" if None in err.validator_value else ""
        return f"{where}: {_show(inst)} is not one of {choices(values)}{null}"
    if v == "type":
        want = err.validator_value
        want = " or ".join(want) if isinstance(want, list) else want
        return f"{where}: expected {want}, got {_type_name(inst)} {_show(inst)}"
    if v == "minimum":
        return f"{where}: must be at least {err.validator_value}, got {inst}"
    if v == "pattern" and path.endswith("country"):
        return f"{where}: {_show(inst)} is not a two-letter upper-case ISO 3166 code (e.g. DE, CN)"
    if v in ("minProperties", "maxProperties") and "data[" in path:
        return f"{where}: each data entry has exactly one key: catalogue or declared"
    if v == "minLength":
        return f"{where}: must not be empty"
    return f"{where}: {err.message}"


def _type_name(value: Any) -> str:
    names = {bool: "boolean", int: "integer", float: "number", str: "string", list: "list",
             dict: "mapping", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# --- semantic checks the schema cannot express ------------------------------------------------


def _data_item(raw: Mapping[str, Any], i: int, sector: str, source: str) -> DataItem:
    if "catalogue" in raw:
        return CatalogueData(raw["catalogue"])
    d = raw["declared"]
    where = f"{source}: activity.data[{i}].declared"
    known = known_info_types(sector)
    for j, t in enumerate(d.get("info_types", [])):
        if t not in known:
            raise ConfigError(f"{where}.info_types[{j}]: unknown info type {t!r} "
                              f"(valid: {choices(known)})")
    level = d.get("level")
    if level is not None and level not in levels_for(sector):
        owner = [s for s, lv in SECTOR_LEVELS.items() if level in lv]
        hint = (f"; {level} belongs to the {' and '.join(owner)} schemes, "
                f"processor.sector is {sector!r}") if owner else ""
        raise ConfigError(f"{where}.level: unknown level {level!r} "
                          f"(valid: {', '.join(levels_for(sector))}){hint}")
    individuals = d["individuals"]
    for key in ("sensitive_individuals", "minors_under_14"):
        if d.get(key, 0) > individuals:
            raise ConfigError(f"{where}.{key}: {d[key]} is more than individuals ({individuals})")
    return DeclaredData(
        individuals=individuals,
        info_types=tuple(d.get("info_types", ())),
        sensitive_individuals=d.get("sensitive_individuals", 0),
        minors_under_14=d.get("minors_under_14", 0),
        important_data=d.get("important_data", False),
        level=level,
    )


def known_info_types(sector: str) -> frozenset[str]:
    """Info-type ids an activity of this sector may declare (standard + the packs' own)."""
    return BASE_INFO_TYPES | frozenset(load_rules(sector).vocabulary)


def _detected_at(act: Mapping[str, Any], source: str) -> datetime | None:
    raw = act.get("detected_at")
    if raw is None:
        return None
    try:
        when = datetime.fromisoformat(raw)
    except ValueError:
        raise ConfigError(f"{source}: activity.detected_at: {raw!r} is not an ISO 8601 time "
                          "(e.g. 2026-03-02T09:30:00+08:00)") from None
    if when.tzinfo is None:
        raise ConfigError(f"{source}: activity.detected_at: {raw!r} has no timezone "
                          "(add +08:00 or Z)")
    return when


def _check_semantics(a: Activity) -> None:
    src = a.source
    if a.kind == "incident" and a.detected_at is None:
        raise ConfigError(f"{src}: activity.detected_at: required when activity.kind is incident")
    if a.kind != "incident" and a.detected_at is not None:
        raise ConfigError(f"{src}: activity.detected_at: only used when activity.kind is "
                          f"incident (kind is {a.kind})")
    if a.exemption is not None and a.kind != "export":
        raise ConfigError(f"{src}: activity.exemption: cross-border exemptions apply only to "
                          f"activity.kind export (kind is {a.kind})")
    if a.kind == "transmit" and a.recipient is not None:
        raise ConfigError(f"{src}: activity.recipient: kind transmit moves data inside the "
                          "organisation and takes no recipient (use share, entrust or export)")
    if a.kind in NEEDS_RECIPIENT and a.recipient is None:
        raise ConfigError(f"{src}: activity.recipient: required when activity.kind is {a.kind}")
    if a.recipient is None:
        return
    allowed = ROLES_FOR_KIND.get(a.kind)
    if allowed and a.recipient.role not in allowed:
        raise ConfigError(f"{src}: activity.recipient.role: kind {a.kind} needs a recipient of "
                          f"role {' or '.join(allowed)}, got {a.recipient.role!r}")
    if a.kind == "export" and a.recipient.country in (None, "CN"):
        got = "none" if a.recipient.country is None else "CN"
        raise ConfigError(f"{src}: activity.recipient.country: kind export needs a recipient "
                          f"country outside mainland China (got {got})")
