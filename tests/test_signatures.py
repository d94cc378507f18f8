"""Signature tables group equal per-cell confidence vectors, whichever way they are grouped."""

from __future__ import annotations

from collections import Counter

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from fenji.detect.counts_parts import NO_MATCH, group_signatures, sorted_unique

LEVELS = [NO_MATCH, 0.0, 0.3, 0.5, 0.9, 1.0]


def plain_grouping(table: np.ndarray, weights: np.ndarray) -> dict[tuple[float, ...], int]:
    """Rows matching anything, summed by their exact signature, in plain Python."""
    out: Counter[tuple[float, ...]] = Counter()
    for row, w in zip(table.tolist(), weights.tolist(), strict=True):
        if any(v != NO_MATCH for v in row):
            out[tuple(row)] += w
    return dict(out)


@st.composite
def tables(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    width = draw(st.integers(1, 4))
    kinds = draw(st.lists(st.tuples(*[st.sampled_from(LEVELS)] * width), min_size=1, max_size=12))
    # Skewed row counts: a few signatures cover most rows (peeled), the rest are grouped.
    counts = draw(st.lists(st.integers(0, 400), min_size=len(kinds), max_size=len(kinds)))
    rows = [kind for kind, n in zip(kinds, counts, strict=True) for _ in range(n)]
    order = draw(st.permutations(range(len(rows))))
    table = np.array([rows[i] for i in order], dtype=np.float64).reshape(len(rows), width)
    weights = np.array(draw(st.lists(st.integers(1, 5), min_size=len(rows), max_size=len(rows))))
    return table, weights.astype(np.int64)


@settings(max_examples=300, deadline=None)
@given(tables())
def test_grouped_signatures_equal_a_plain_count(data: tuple[np.ndarray, np.ndarray]) -> None:
    table, weights = data
    recs = tuple(f"r{j}" for j in range(table.shape[1]))
    got = group_signatures(recs, table, weights)
    assert dict(zip(map(tuple, got.table.tolist()), got.weights.tolist(), strict=True)) == (
        plain_grouping(table, weights)
    )
    # Sorted rows, so equal counts are equal arrays.
    assert [tuple(r) for r in got.table.tolist()] == sorted(map(tuple, got.table.tolist()))


def test_one_dominant_signature_and_a_long_tail_are_both_counted() -> None:
    rng = np.random.default_rng(7)
    tail = rng.choice([0.1 * k for k in range(1, 10)], size=(3000, 1))
    table = np.vstack([np.ones((20_000, 1)), tail, np.full((500, 1), NO_MATCH)])
    table = table[rng.permutation(len(table))]
    weights = np.ones(len(table), dtype=np.int64)
    got = group_signatures(("r",), table, weights)
    assert dict(zip(got.table[:, 0].tolist(), got.weights.tolist(), strict=True)) == {
        k[0]: v for k, v in plain_grouping(table, weights).items()
    }
    assert int(got.weights.sum()) == 23_000


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 2**64 - 1) | st.integers(0, 5), max_size=200))
def test_distinct_hashes_are_numpys_sorted_unique(values: list[int]) -> None:
    hashes = np.array(values, dtype=np.uint64)
    got = sorted_unique(hashes)
    assert got.dtype == np.uint64 and np.array_equal(got, np.unique(hashes))
