"""The lattice behind the k-anonymity search: integer codes per ladder step, class counts.

Each quasi-identifier's distinct values get a dense integer code at every ladder step, with
maps from a finer step's codes to every coarser step's; a node's classes are counted by
combining the codes of the rows into one integer key (numpy ``bincount`` when the key range is
small, ``unique`` otherwise). Tables of classes are cached and the next node is counted from
the smallest cached table at least as fine as it.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import polars as pl

from fenji.deid.ladders import Ladder, Step
from fenji.deid.operators import OPERATORS

_SEED = 0x5EED
_NEST_SAMPLE = 20_000  # distinct values on which the nesting of steps is checked
_CACHE_ROWS = 4  # cached class tables may hold up to this many times the records
_BINCOUNT_LIMIT = 1 << 23  # key ranges counted with a dense bincount (64 MB of float64)


class Column:
    """One quasi-identifier: its distinct values, their code at every ladder step, and maps
    from the codes of a finer step to those of every coarser step.

    Step 1 runs over the distinct values; each later step runs over one representative value
    per class of the step before (valid because steps nest, which is checked on a sample).
    Codes are dense integers of the 64-bit hash of each output.
    """

    def __init__(self, frame: pl.DataFrame, ladder: Ladder, k: int) -> None:
        name = ladder.column
        series = frame[name]
        _, rows = _dense(series.hash(seed=_SEED).to_numpy())
        distinct = pl.DataFrame({name: series.gather(_first_index(rows))})
        sample = distinct.sample(min(distinct.height, _NEST_SAMPLE), seed=7)
        steps: list[Step] = [ladder.steps[0]]
        codes: list[np.ndarray] = [np.arange(distinct.height, dtype=np.int64)]
        reps = distinct  # one original value per class of the last kept step
        chain = np.arange(distinct.height, dtype=np.int64)  # distinct value -> class of last
        previous_sample = _code_of(sample, name, ladder.steps[0])
        for i, step in enumerate(ladder.steps[1:], start=1):
            last = i == ladder.top
            on_sample = _code_of(sample, name, step)
            # Keep a step only if it is a function of the previous one (classes only merge,
            # which the pruning relies on); the final suppression step always qualifies.
            if not last and not _function_of(previous_sample, on_sample):
                continue
            per_class = _dense(_code_of(reps, name, step))[1]
            chain = per_class[chain]
            reps = distinct[_first_index(chain)] if not last else reps
            steps.append(step)
            codes.append(chain)
            previous_sample = on_sample
        self.ladder = Ladder(name, ladder.kind, tuple(steps))
        self.sizes = [int(c.max()) + 1 if c.size else 1 for c in codes]
        # maps[a][b][code at step a] = code at step b, for a <= b.
        self.maps: list[list[np.ndarray]] = []
        for a_code, a_size in zip(codes, self.sizes, strict=True):
            row = []
            for b_code in codes:
                m = np.zeros(a_size, dtype=np.int64)
                m[a_code] = b_code
                row.append(m)
            self.maps.append(row)
        self.rows = rows
        # Records this column alone forces out at each step: a lower bound for any node.
        per_value = np.bincount(rows, minlength=self.sizes[0])
        self.alone = []
        for level in range(len(codes)):
            counts = np.bincount(self.maps[0][level], weights=per_value, minlength=1)
            self.alone.append(int(counts[(counts > 0) & (counts < k)].sum()))


def _code_of(frame: pl.DataFrame, name: str, step: Step) -> np.ndarray:
    out = OPERATORS[step.operator].apply(frame, name, step.params, None)
    return out.hash(seed=_SEED).to_numpy()


def _dense(values: np.ndarray) -> tuple[int, np.ndarray]:
    """Number of distinct values and each value's dense code (Polars' rank: about twice as
    fast as ``np.unique(return_inverse=True)`` here)."""
    codes = pl.Series(values).rank("dense").to_numpy().astype(np.int64) - 1
    return int(codes.max(initial=-1)) + 1, codes


def _first_index(codes: np.ndarray) -> np.ndarray:
    """Position of the first occurrence of each code 0..max."""
    first = np.zeros(int(codes.max(initial=-1)) + 1, dtype=np.int64)
    first[codes[::-1]] = np.arange(codes.size - 1, -1, -1)
    return first


def _function_of(finer: np.ndarray, coarser: np.ndarray) -> bool:
    """Whether equal ``finer`` codes always come with equal ``coarser`` codes."""
    pairs = pl.DataFrame({"a": finer, "b": coarser}).group_by("a").agg(pl.col("b").n_unique())
    return bool(pairs.height == 0 or pairs["b"].to_numpy().max() <= 1)


def _group(keys: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct keys and the summed weights of each (bincount when the key range is small)."""
    if keys.size and int(keys.max()) < _BINCOUNT_LIMIT:
        sums = np.bincount(keys, weights=weights)
        present = np.flatnonzero(sums)
        return present, np.rint(sums[present]).astype(np.int64)
    grouped = pl.DataFrame({"k": keys, "w": weights}).group_by("k").agg(pl.col("w").sum())
    return grouped["k"].to_numpy(), grouped["w"].to_numpy().astype(np.int64)


def _combine(codes: list[np.ndarray], radix: list[int]) -> np.ndarray:
    combined = np.zeros(codes[0].size, dtype=np.int64)
    for col, r in zip(codes, radix, strict=True):
        combined = combined * r + col
    return combined


def _split(combined: np.ndarray, radix: list[int]) -> list[np.ndarray]:
    digits = []
    for r in reversed(radix):
        digits.append(combined % r)
        combined = combined // r
    return list(reversed(digits))


class Lattice:
    def __init__(self, frame: pl.DataFrame, ladders: list[Ladder], k: int, allowed: int) -> None:
        self.k, self.allowed, self.n = k, allowed, frame.height
        self.columns = [Column(frame, ld, k) for ld in ladders]
        self.ladders = [c.ladder for c in self.columns]
        self.tops = np.array([ld.top for ld in self.ladders])
        # Steps below the first one a column passes alone can never satisfy k: start above.
        self.floor = np.array(
            [next(i for i, s in enumerate(c.alone) if s <= allowed) for c in self.columns]
        )
        rows = [c.maps[0][int(lv)][c.rows] for c, lv in zip(self.columns, self.floor, strict=True)]
        keys, radix, counts = self._grouped(rows, self.floor, np.ones(frame.height, np.int64))
        self.cache: list[tuple[np.ndarray, list[np.ndarray], np.ndarray]] = [
            (self.floor, _split(keys, radix) if radix else keys, counts)
        ]
        self.nodes = np.array(list(itertools.product(*[range(t + 1) for t in self.tops])))
        self.status = np.zeros(len(self.nodes), dtype=np.int8)  # 1 sat, -1 fail, 0 unknown
        self.status[~(self.nodes >= self.floor).all(axis=1)] = -1
        self.results: dict[tuple[int, ...], tuple[int, int, int]] = {}

    def _grouped(
        self, codes: list[np.ndarray], node: np.ndarray, weights: np.ndarray
    ) -> tuple[Any, list[int], np.ndarray]:
        """Group rows of codes at ``node``: (combined keys and their radix, or the code
        columns and [] when the combinations overflow 64 bits; summed weights)."""
        radix = [c.sizes[int(level)] for c, level in zip(self.columns, node, strict=True)]
        if float(np.prod(radix, dtype=np.float64)) < 2.0**62:
            keys, sums = _group(_combine(codes, radix), weights)
            return keys, radix, sums
        # Too many combinations for one 64-bit key: let Polars group on the columns.
        frame = pl.DataFrame({f"q{q}": c for q, c in enumerate(codes)} | {"n": weights})
        grouped = frame.group_by([f"q{q}" for q in range(len(codes))]).agg(pl.col("n").sum())
        columns = [grouped[f"q{q}"].to_numpy() for q in range(len(codes))]
        return columns, [], grouped["n"].to_numpy()

    def evaluate(self, node: np.ndarray) -> tuple[int, int, int]:
        """(suppressed records, classes kept, discernibility) of a node, tagging the lattice."""
        key = tuple(int(x) for x in node)
        if key in self.results:
            return self.results[key]
        base, codes, counts = min(
            (entry for entry in self.cache if (entry[0] <= node).all()),
            key=lambda entry: entry[2].size,
        )
        mapped = [
            col.maps[int(base[q])][int(node[q])][codes[q]] for q, col in enumerate(self.columns)
        ]
        keys, radix, sizes = self._grouped(mapped, node, counts)
        small = sizes < self.k
        suppressed = int(sizes[small].sum())
        kept = sizes[~small].astype(np.int64)
        dm = int((kept**2).sum()) + suppressed * self.n
        result = (suppressed, int(kept.size), dm)
        self.results[key] = result
        if sizes.size <= 0.6 * counts.size:
            new_codes = _split(keys, radix) if radix else keys
            self.cache.append((node.copy(), new_codes, sizes.astype(np.int64)))
            # Bound memory: drop the largest cached tables (never the floor table) beyond
            # a few times the number of records.
            while sum(e[2].size for e in self.cache[1:]) > _CACHE_ROWS * max(self.n, 1):
                largest = max(range(1, len(self.cache)), key=lambda i: self.cache[i][2].size)
                del self.cache[largest]
        self._tag(node, suppressed <= self.allowed and kept.size > 0)
        return result

    def _tag(self, node: np.ndarray, sat: bool) -> None:
        if sat:
            self.status[((self.nodes >= node).all(axis=1)) & (self.status == 0)] = 1
        else:
            self.status[((self.nodes <= node).all(axis=1)) & (self.status == 0)] = -1

    def index(self, node: np.ndarray) -> int:
        idx = 0
        for q, top in enumerate(self.tops):
            idx = idx * (int(top) + 1) + int(node[q])
        return idx

    def is_sat(self, node: np.ndarray) -> bool:
        i = self.index(node)
        if self.status[i] == 0:
            bound = max(
                col.alone[int(level)] for col, level in zip(self.columns, node, strict=True)
            )
            if bound > self.allowed:  # one column alone already suppresses too much
                self._tag(node, False)
            else:
                self.evaluate(node)
        return bool(self.status[i] == 1)

    def kmin(self, bottom: np.ndarray, top: np.ndarray, found: list[np.ndarray]) -> None:
        """OLA: collect satisfying nodes minimal within the sublattice [bottom, top]."""
        stack = [(bottom, top)]
        seen: set[tuple[int, ...]] = set()
        while stack:
            b, t = stack.pop()
            key = (*b.tolist(), *t.tolist())
            if key in seen:
                continue
            seen.add(key)
            hb, ht = int(b.sum()), int(t.sum())
            if ht - hb > 1:
                h = (hb + ht) // 2
                inside = (self.nodes >= b).all(axis=1) & (self.nodes <= t).all(axis=1)
                middle = self.nodes[inside & (self.nodes.sum(axis=1) == h)]
                for node in middle:
                    stack.append((b, node) if self.is_sat(node) else (node, t))
            else:
                node = t if not self.is_sat(b) else b
                if self.is_sat(node):
                    found.append(node)
