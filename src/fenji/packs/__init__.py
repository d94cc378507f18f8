"""Classification and grading packs: taxonomy, sensitive flags, identifier roles and levels.

A pack is a directory of YAML files (``pack.yaml``, ``taxonomy.yaml``, ``grading.yaml`` and
optionally ``recognizers.yaml`` and ``rules.yaml``); see docs/packs.md.
"""

from fenji.packs.loader import PACKS_DIR, list_packs, load_pack, validate_pack_dir
from fenji.packs.model import (
    ROLES,
    Catalogue,
    Category,
    Condition,
    Level,
    NameRule,
    Pack,
    Rule,
    TypeClass,
)

__all__ = [
    "PACKS_DIR",
    "ROLES",
    "Catalogue",
    "Category",
    "Condition",
    "Level",
    "NameRule",
    "Pack",
    "Rule",
    "TypeClass",
    "list_packs",
    "load_pack",
    "validate_pack_dir",
]
