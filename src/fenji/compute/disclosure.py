"""Disclosure control for joint results: a minimum group size with secondary suppression.

A statistic over fewer than ``min_group`` records (default 10) says too much about the few people
behind it, so it is suppressed: the joint computation compares the secret count with the limit
and opens only the comparison, never the small count. When exactly one histogram cell is
suppressed while the total is published, that cell would follow by subtraction, so the next
smallest cell is suppressed as well (secondary suppression).

The same rules are written here once as plain functions over plaintext counts; the MPC code in
``stats`` follows them step by step and the tests compare the two.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fenji.errors import InputError

DEFAULT_MIN_GROUP = 10
PRIMARY = "fewer records than the minimum group size"
SECONDARY = "suppressed too, so a suppressed cell cannot be derived from the total"


def check_min_group(value: int) -> int:
    """Validate ``--min-group`` (a positive number of records)."""
    if value < 1:
        raise InputError(f"--min-group {value}: must be a positive number of records (default 10)")
    return value


@dataclass(frozen=True)
class Cell:
    """One published figure, or the reason it is withheld."""

    label: str
    value: float | int | None
    suppressed: bool = False
    reason: str = ""


def group_allowed(count: int, min_group: int) -> bool:
    """Whether a group of ``count`` records may be described at all."""
    return count >= min_group


def needs_secondary(primary: Sequence[bool]) -> bool:
    """Secondary suppression is needed when exactly one cell is suppressed and others are not."""
    return sum(primary) == 1 and len(primary) > 1


def suppress_counts(labels: Sequence[str], counts: Sequence[int], min_group: int) -> list[Cell]:
    """Apply the rules to plaintext cell counts (the reference the MPC version must match).

    ``counts`` sum to the published total. Ties for the secondary cell go to the first.
    """
    primary = [c < min_group for c in counts]
    hidden = list(primary)
    if needs_secondary(primary):
        shown = [i for i, p in enumerate(primary) if not p]
        hidden[min(shown, key=lambda i: counts[i])] = True
    return [
        Cell(label, None, True, PRIMARY if p else SECONDARY) if h else Cell(label, count)
        for label, count, p, h in zip(labels, counts, primary, hidden, strict=True)
    ]
