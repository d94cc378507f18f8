"""One error hierarchy for fenji.

Every message names what was wrong (file, field, source) and, where there is a closed set of
choices, lists them. The CLI turns any ``FenjiError`` into a one-line message and exit code 2.
Messages must never contain raw personal information or passwords.
"""

from __future__ import annotations

from collections.abc import Iterable


class FenjiError(Exception):
    """Base class of every error fenji raises on purpose."""

    exit_code = 2


class ConfigError(FenjiError):
    """A pack, configuration or activity file is invalid."""


class InputError(FenjiError):
    """The user asked for something impossible (bad option value, missing path ...)."""


class SourceError(FenjiError):
    """A source (file, table, database) could not be read. The message names the source."""


class CatalogueError(FenjiError):
    """The catalogue database could not be opened, migrated or queried."""


def choices(valid: Iterable[str]) -> str:
    """Render a closed set of valid choices for an error message."""
    return ", ".join(sorted(valid))
