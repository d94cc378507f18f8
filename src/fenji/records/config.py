"""The data behind the records commands (``records.yaml``): kinds, citations, deadlines."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from fenji.errors import ConfigError, InputError, choices

CONFIG_PATH = Path(__file__).with_name("records.yaml")


@cache
def config() -> Mapping[str, Any]:
    """``records.yaml`` parsed (cached)."""
    try:
        data = yaml.safe_load(CONFIG_PATH.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{CONFIG_PATH}: cannot be read: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{CONFIG_PATH}: expected a mapping at the top level")
    return data


def section(name: str) -> Mapping[str, Any]:
    """One top-level section of ``records.yaml``."""
    value = config().get(name)
    if not isinstance(value, dict):
        raise ConfigError(f"{CONFIG_PATH}: section {name!r} is missing or not a mapping")
    return value


def pick(value: str, valid: Mapping[str, Any] | list[str], what: str) -> str:
    """``value`` if it is one of ``valid``, else InputError naming ``what`` and the choices."""
    if value not in valid:
        raise InputError(f"{what}: {value!r} is not one of {choices(valid)}")
    return value
