"""Names of places: GB/T 2260 provinces, prefectures and counties (python-stdnum's table)."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

PLACE_SUFFIXES = ("市", "县", "区", "省", "镇")


@cache
def gazetteer() -> tuple[str, ...]:
    """Province, prefecture and county names of GB/T 2260 (python-stdnum's ``cn/loc.dat``),
    three characters or more (``朝阳区``, ``杭州市``; two-character ones such as ``城区`` are
    ordinary words too), current and historic.

    >>> "朝阳区" in gazetteer(), "城区" in gazetteer()
    (True, False)
    """
    text = resources.files("stdnum").joinpath("cn/loc.dat").read_text(encoding="utf-8")
    names = set()
    for value in re.findall(r'(?:province|prefecture|county)="([^"]+)"', text):
        for part in value.split(","):
            name = re.sub(r"^\[[^\]]*\]", "", part).strip()
            if len(name) >= 3 and re.fullmatch(r"\w+", name) and "直辖" not in name:
                names.add(name)
    return tuple(sorted(names))


@cache
def _places() -> frozenset[str]:
    return frozenset(gazetteer())


def is_place(word: str) -> bool:
    """True when ``word``, or ``word`` plus 市 县 区 省 or 镇, names a place of GB/T 2260."""
    places = _places()
    return word in places or any(word + s in places for s in PLACE_SUFFIXES)
