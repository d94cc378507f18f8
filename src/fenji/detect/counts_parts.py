"""The mergeable parts of ``fenji.detect.counts``: each adds up exactly, in any order.

``Signatures`` (distinct per-cell confidence vectors and how many cells have each),
``TextCounts`` (sums and a confidence histogram of one text recognizer) and ``Distinct`` (exact
value hashes, or an HLL sketch past a cap). Sums of floats are always taken over sorted distinct
values, so merged counts give bit-identical scores to counts of the whole column.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import datasketches
import numpy as np
import numpy.typing as npt
import polars as pl

from fenji.detect.column_eval import FloatArray, IntArray

# Above this many distinct values a column's distinct count switches from an exact set of 64-bit
# hashes (8 bytes each) to a HyperLogLog sketch (~1 % error), so memory stays bounded.
EXACT_DISTINCT_CAP = 1 << 21
HLL_LG_K = 14
NO_MATCH = -1.0  # signature entry of a recognizer that does not match the cell


@dataclass(frozen=True)
class TextCounts:
    """One text recognizer inside free-text cells: sums over matches and cells."""

    matches: int = 0  # regex matches (a cell with two matches counts twice)
    valid: int = 0  # matches passing the validator
    cells: int = 0  # cells with at least one valid match
    levels: tuple[tuple[float, int], ...] = ()  # (confidence, valid matches with it), sorted

    def mean_confidence(self) -> float:
        """Mean validator confidence of the valid matches, summed in a fixed order."""
        total = sum(level * n for level, n in self.levels)
        return total / self.valid if self.valid else 0.0


def merge_text(parts: Iterable[TextCounts]) -> TextCounts:
    matches = valid = cells = 0
    levels: dict[float, int] = {}
    for p in parts:
        matches, valid, cells = matches + p.matches, valid + p.valid, cells + p.cells
        for level, n in p.levels:
            levels[level] = levels.get(level, 0) + n
    return TextCounts(matches, valid, cells, tuple(sorted(levels.items())))


@dataclass(frozen=True)
class Distinct:
    """Distinct non-empty values: an exact sorted set of 64-bit hashes, or an HLL sketch."""

    hashes: npt.NDArray[np.uint64] | None = field(default=None, compare=False)
    sketch: bytes = b""

    def count(self) -> float:
        """Distinct values (exact, or the sketch's estimate once past ``EXACT_DISTINCT_CAP``)."""
        if self.hashes is not None:
            return float(len(self.hashes))
        return float(datasketches.hll_sketch.deserialize(self.sketch).get_estimate())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Distinct):
            return NotImplemented
        if self.hashes is None or other.hashes is None:
            return self.hashes is None and other.hashes is None and self.sketch == other.sketch
        return bool(np.array_equal(self.hashes, other.hashes))

    __hash__ = None  # type: ignore[assignment]


def distinct_of(hashes: npt.NDArray[np.uint64]) -> Distinct:
    """Distinct values given their sorted unique hashes (a sketch past the cap)."""
    if len(hashes) <= EXACT_DISTINCT_CAP:
        return Distinct(hashes=hashes)
    return _union([_sketch(hashes)])


def _sketch(hashes: npt.NDArray[np.uint64]) -> bytes:
    sketch = datasketches.hll_sketch(HLL_LG_K, datasketches.HLL_8)
    update = sketch.update
    # The binding takes one value per call; this runs only once a column passes the cap.
    for h in hashes.view(np.int64).tolist():
        update(h)
    return bytes(sketch.serialize_compact())


def _union(sketches: list[bytes]) -> Distinct:
    # Always through a union: its estimate does not depend on the order values came in.
    union = datasketches.hll_union(HLL_LG_K)
    for data in sketches:
        union.update(datasketches.hll_sketch.deserialize(data))
    return Distinct(sketch=bytes(union.get_result(datasketches.HLL_8).serialize_compact()))


def merge_distinct(parts: Iterable[Distinct]) -> Distinct:
    """Union of distinct sets (exact while small; a sketch union beyond the cap)."""
    parts = list(parts)
    if all(p.hashes is not None for p in parts):
        arrays = [p.hashes for p in parts if p.hashes is not None]
        return distinct_of(sorted_unique(np.concatenate(arrays)) if arrays else NO_HASHES)
    return _union([p.sketch if p.hashes is None else _sketch(p.hashes) for p in parts])


NO_HASHES = np.zeros(0, dtype=np.uint64)


def sorted_unique(hashes: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """``np.unique`` of value hashes, by Polars: hashing out the repeats before sorting the rest
    is several times faster than numpy's sort of them all."""
    return pl.Series(hashes, dtype=pl.UInt64).unique().sort().to_numpy()


@dataclass(frozen=True)
class Signatures:
    """Distinct per-cell confidence vectors over ``recs`` (``NO_MATCH`` = no match) and the
    number of cells with each; rows sorted, so equal counts are equal arrays."""

    recs: tuple[str, ...]
    table: FloatArray = field(compare=False)
    weights: IntArray = field(compare=False)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Signatures):
            return NotImplemented
        return (
            self.recs == other.recs
            and np.array_equal(self.table, other.table)
            and np.array_equal(self.weights, other.weights)
        )

    __hash__ = None  # type: ignore[assignment]

    def project(self, recs: tuple[str, ...]) -> Signatures:
        """The signatures over a subset of the recognizers (cells matching none dropped)."""
        if recs == self.recs:
            return self
        index = [self.recs.index(r) for r in recs]
        return group_signatures(recs, self.table[:, index], self.weights)


def group_signatures(recs: tuple[str, ...], table: FloatArray, weights: IntArray) -> Signatures:
    """Group equal rows (dropping rows that match nothing), sorted lexicographically."""
    keep = np.zeros(len(table), bool)
    for j in range(table.shape[1]):  # column by column: any(axis=1) over a few columns is slow
        keep |= table[:, j] != NO_MATCH
    if not keep.all():
        table, weights = table[keep], weights[keep]
    if len(table) == 0:
        return Signatures(recs, np.zeros((0, len(recs))), np.zeros(0, dtype=np.int64))
    peeled, table, weights = _peel(table, weights)
    if len(table) > 64:  # a cheap parallel group-by first; np.unique then sorts the few left
        frame = pl.DataFrame({f"s{j}": table[:, j] for j in range(table.shape[1])})
        grouped = frame.with_columns(w=pl.Series(weights)).group_by(frame.columns).agg(pl.sum("w"))
        table = grouped.drop("w").to_numpy().astype(np.float64).reshape(-1, len(recs))
        weights = grouped["w"].to_numpy().astype(np.int64)
    if peeled:
        table = np.concatenate([np.array([row for row, _ in peeled]), table])
        weights = np.concatenate([np.array([w for _, w in peeled], dtype=np.int64), weights])
    uniq, inverse = np.unique(table, axis=0, return_inverse=True)
    summed = np.bincount(inverse.ravel(), weights=weights, minlength=len(uniq))
    return Signatures(recs, uniq, summed.astype(np.int64))


_PEEL_MAX = 8


def _peel(
    table: FloatArray, weights: IntArray
) -> tuple[list[tuple[FloatArray, int]], FloatArray, IntArray]:
    """Take off the signatures that cover most rows, one comparison each: a column usually
    holds a handful (cheaper than hashing every row). Stops at one that covers under a quarter
    of the rows left, which are then grouped the general way."""
    peeled: list[tuple[FloatArray, int]] = []
    while len(table) > 64 and len(peeled) < _PEEL_MAX:
        first = table[0]
        same = table[:, 0] == first[0]
        for j in range(1, table.shape[1]):
            same &= table[:, j] == first[j]
        hits = int(np.count_nonzero(same))
        if hits * 4 < len(table):
            break
        peeled.append((first.copy(), int(weights[same].sum())))
        rest = ~same
        table, weights = table[rest], weights[rest]
    return peeled, table, weights
