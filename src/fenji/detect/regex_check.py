"""Recognizer regexes must compile in Polars' Rust regex engine: checked when a pack is loaded.

Checking each regex alone costs one Polars call apiece (a third of loading the general pack);
inside ``regexes_checked_together()`` they are collected and compiled in one query instead.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import polars as pl

from fenji.errors import ConfigError

_LOADING = threading.local()  # regexes of the file being loaded, checked together at the end


def checked_regex(where: str, regex: Any) -> str:
    """The regex; Polars' Rust engine must compile it (checked now, or at the end of the
    enclosing ``regexes_checked_together``)."""
    if not isinstance(regex, str) or not regex:
        raise ConfigError(f"{where}: expected a non-empty regex string")
    pending = getattr(_LOADING, "regexes", None)
    if pending is None:
        _compile([(where, regex)])
    else:
        pending.append((where, regex))
    return regex


@contextmanager
def regexes_checked_together() -> Iterator[None]:
    """Collect the ``checked_regex`` calls inside and compile them in one query on leaving."""
    _LOADING.regexes = []
    try:
        yield
        _compile(_LOADING.regexes)
    finally:
        _LOADING.regexes = None


def _compile(regexes: list[tuple[str, str]]) -> None:
    """Raise a ``ConfigError`` naming the first regex Polars cannot compile (one query for all;
    one per regex only to find the bad one)."""
    try:
        empty = pl.lit("", dtype=pl.String)
        pl.select(empty.str.contains(rx).alias(str(i)) for i, (_, rx) in enumerate(regexes))
    except Exception as exc:  # Polars raises ComputeError for a bad pattern
        if len(regexes) > 1:
            for one in regexes:
                _compile([one])
        where = regexes[0][0]
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"{where}: regex does not compile (Rust regex syntax): {first}") from None
