"""Column-name hints: does a column's name say what it holds?

Names come as ``身份证号``, ``kh_sfzh``, ``customerIdCard``, ``ID Card No`` or ``手机号(sjhm)``.
A hint written in Chinese matches as a substring (Chinese has no spaces). A hint in English or
pinyin matches a whole word of the name or a run of consecutive words written together, so
``id_card_no`` matches ``idcard`` and ``idcardno`` but ``xm`` does not match ``xml_path``.
Column names are few, so plain Python is fine here (no hot path).
"""

from __future__ import annotations

import re
from functools import lru_cache

from fenji.detect.column_exprs import FULL_WIDTH, HALF_WIDTH

_FOLD = str.maketrans(dict(zip(FULL_WIDTH, HALF_WIDTH, strict=True)))
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_WORDS = re.compile(r"[a-z0-9]+")


@lru_cache(maxsize=4096)
def name_words(column: str) -> tuple[str, ...]:
    """ASCII words of a column name, lower case: ``customerIdCard`` -> (customer, id, card)."""
    folded = _CAMEL.sub(" ", column.translate(_FOLD))
    return tuple(_WORDS.findall(folded.lower()))


@lru_cache(maxsize=4096)
def _runs(column: str) -> frozenset[str]:
    """Every run of consecutive words joined together (each word alone included)."""
    words = name_words(column)
    return frozenset(
        "".join(words[i:j]) for i in range(len(words)) for j in range(i + 1, len(words) + 1)
    )


@lru_cache(maxsize=1024)
def _prepared(hints: tuple[str, ...]) -> tuple[tuple[bool, str], ...]:
    """(is ASCII, comparable form) per hint: ASCII hints lose their separators."""
    return tuple(
        (True, re.sub(r"[^a-z0-9]", "", h.lower())) if h.isascii() else (False, h.lower())
        for h in hints
    )


def find_hint(column: str, hints: tuple[str, ...]) -> str | None:
    """The first of ``hints`` the column name carries, or None."""
    folded = _folded(column)
    runs = _runs(column)
    for hint, (ascii_hint, form) in zip(hints, _prepared(hints), strict=True):
        if (form in runs) if ascii_hint else (form in folded):
            return hint
    return None


@lru_cache(maxsize=4096)
def _folded(column: str) -> str:
    return column.translate(_FOLD).lower()


def column_hint(
    column: str, hints: tuple[str, ...], hints_not: tuple[str, ...], vetoes: tuple[str, ...]
) -> str | None:
    """The hint a column name gives a recognizer, unless a veto word cancels it.

    ``hints_not`` are the recognizer's own vetoes (``product_name`` is no person's name);
    ``vetoes`` are the set-wide words such as ``count`` or ``状态`` that make a column describe
    personal information rather than hold it.
    """
    if not hints:
        return None
    hint = find_hint(column, hints)
    if hint is None:
        return None
    if find_hint(column, hints_not) or _veto(column, vetoes):
        return None
    return hint


def _veto(column: str, vetoes: tuple[str, ...]) -> bool:
    """A veto word must be a whole word (ASCII) or a substring (Chinese)."""
    words = set(name_words(column))
    folded = _folded(column)
    return any((v in words) if v.isascii() else (v in folded) for v in vetoes)
