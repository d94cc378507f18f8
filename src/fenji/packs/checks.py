"""Small checks shared by the pack loader: each records a problem naming file and field."""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path
from typing import Any

import yaml

from fenji.errors import choices

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


class Problems(list[str]):
    """Problems found so far, each ``file: field: message``."""

    def add(self, file: Path, where: str, msg: str) -> None:
        self.append(f"{file}: {where}: {msg}")


# libyaml's parser when PyYAML has it (packs are read on every command's start).
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(file: Path, problems: Problems, required: bool) -> dict[str, Any]:
    """A YAML file's top-level mapping ({} when missing, empty or broken)."""
    if not file.is_file():
        if required:
            problems.add(file, "(file)", "missing; a pack without `extends` needs it")
        return {}
    try:
        data = yaml.load(file.read_text(encoding="utf-8"), Loader=_LOADER)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark is not None else ""
        problems.add(file, "(file)", f"not valid YAML{line}: {str(exc).splitlines()[0]}")
        return {}
    if data is None:
        return {}
    if not isinstance(data, dict):
        problems.add(file, "(top level)", "must be a mapping")
        return {}
    return data


def keys(problems: Problems, file: Path, where: str, data: Any, allowed: Collection[str],
          required: Collection[str] = ()) -> dict[str, Any]:
    """Check a mapping's keys; return it (or {} when it is not a mapping)."""
    if not isinstance(data, dict):
        problems.add(file, where, "must be a mapping")
        return {}
    for key in data:
        if key not in allowed:
            problems.add(file, f"{where}.{key}" if where else str(key),
                         f"unknown key; valid: {choices(allowed)}")
    for key in sorted(set(required) - set(data)):
        problems.add(file, f"{where}.{key}" if where else key, "required")
    return data


def text(problems: Problems, file: Path, where: str, value: Any) -> str:
    """A non-empty string, stripped ("" after recording a problem)."""
    if not isinstance(value, str) or not value.strip():
        problems.add(file, where, "must be a non-empty string")
        return ""
    return value.strip()


def boolean(problems: Problems, file: Path, where: str, value: Any) -> bool:
    """A YAML true/false (False after recording a problem)."""
    if not isinstance(value, bool):
        problems.add(file, where, "must be true or false")
        return False
    return value


def cite(problems: Problems, file: Path, where: str, value: Any, catalogue: str) -> str:
    """A citation with ``{catalogue}`` replaced by the chosen catalogue's citation."""
    value_text = text(problems, file, where, value)
    for name in _PLACEHOLDER.findall(value_text):
        if name != "catalogue":
            problems.add(file, where, f"unknown placeholder {{{name}}}; valid: {{catalogue}}")
    return value_text.replace("{catalogue}", catalogue)
