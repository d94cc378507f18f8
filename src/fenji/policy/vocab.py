"""Closed vocabularies the policy engine checks activity files against.

Info-type ids come from ``fenji.infotypes`` (ARCHITECTURE.md); packs may add ids of their own in
their ``rules.yaml`` (e.g. cabin audio for the automotive pack). Level ids and ranks follow
ARCHITECTURE.md: ranks are comparable within a scheme, and the policy rules compare them across
schemes only as "rank >= 3".
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from fenji.infotypes import INFO_TYPES

BASE_INFO_TYPES: frozenset[str] = frozenset(INFO_TYPES)

# Info types that describe organisations, not people: declaring only these is not PI.
NON_PERSONAL_INFO_TYPES: frozenset[str] = frozenset({"ORGANIZATION", "CN_USCC"})

LEVEL_RANKS: Mapping[str, int] = MappingProxyType(
    {
        "general-1": 1,
        "general-2": 2,
        "general-3": 3,
        "general-4": 4,
        "important": 5,
        "core": 6,
        "L1": 1,
        "L2": 2,
        "L3": 3,
        "L4": 4,
        "L5": 5,
    }
)
"""Level id -> rank (GB/T 43697-2024 general levels; JR/T 0197-2020 and GB/T 39725-2020 L1-L5)."""

# Levels that only make sense under a sector scheme (JR/T 0197-2020, GB/T 39725-2020).
SECTOR_LEVELS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "financial": frozenset({"L1", "L2", "L3", "L4", "L5"}),
        "healthcare": frozenset({"L1", "L2", "L3", "L4", "L5"}),
    }
)

# Levels that mean the data is important (or core) data under GB/T 43697-2024 / DSL Art. 21.
IMPORTANT_LEVELS: frozenset[str] = frozenset({"important", "core"})


def levels_for(sector: str) -> tuple[str, ...]:
    """Level ids an activity of this sector may declare, in rank order."""
    general = ("general-1", "general-2", "general-3", "general-4", "important", "core")
    return general + tuple(sorted(SECTOR_LEVELS.get(sector, frozenset())))
