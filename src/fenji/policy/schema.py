"""The activity-file JSON Schema, shipped as ``fenji/schemas/activity.schema.json``.

The schema is the single source of the closed vocabularies (kinds, roles, legal bases,
exemptions, safeguards): code reads them from here instead of repeating them.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def activity_schema() -> dict[str, Any]:
    """The parsed activity JSON Schema."""
    text = (resources.files("fenji") / "schemas" / "activity.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _activity_props() -> dict[str, Any]:
    props: dict[str, Any] = activity_schema()["properties"]["activity"]["properties"]
    return props


def enum_of(*path: str) -> tuple[str, ...]:
    """Non-null enum values at a property path, e.g. ``enum_of("activity", "kind")``."""
    node: dict[str, Any] = activity_schema()
    for key in path:
        node = node["properties"][key]
    return tuple(v for v in node["enum"] if v is not None)


def kinds() -> tuple[str, ...]:
    """Activity kinds (collect, use, share ...)."""
    return enum_of("activity", "kind")


def sectors() -> tuple[str, ...]:
    """Processor sectors, one rule pack each."""
    return enum_of("processor", "sector")


def exemptions() -> tuple[str, ...]:
    """The six cross-border exemptions an activity may claim."""
    return enum_of("activity", "exemption")


def safeguard_keys() -> tuple[str, ...]:
    """Every key allowed under ``activity.safeguards`` (all booleans, default false)."""
    return tuple(_activity_props()["safeguards"]["properties"])


def recipient_roles() -> tuple[str, ...]:
    """Recipient roles (controller, entrusted, foreign_authority, public)."""
    roles: list[str] = _activity_props()["recipient"]["properties"]["role"]["enum"]
    return tuple(roles)
