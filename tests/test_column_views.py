"""Shortcuts in candidate compaction equal the plain Polars steps they skip work for."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from fenji.detect.column_eval import apply, compact, compact_test
from fenji.detect.column_exprs import COMPACT

# Every Unicode White_Space character (what Rust's trim removes), plus punctuation that is not.
SPACES = "\t\n\x0b\x0c\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + (
    "\u2028\u2029\u202f\u205f\u3000"
)
LOOKALIKES = "\u2014\u201c\u201d\u3001\u3002\xa1\u0800\u1681\u2060\u3003"
cells = st.text(alphabet=st.sampled_from(SPACES + LOOKALIKES + "ab1张伟"), max_size=8) | st.text()


@settings(max_examples=200, deadline=None)
@given(st.lists(cells, max_size=30))
def test_compact_of_trimmed_candidates_skips_only_what_changes_nothing(values: list[str]) -> None:
    trimmed = pl.Series("v", values, dtype=pl.String).str.strip_chars()
    for step in ("trim", "lower"):
        assert compact(trimmed, step, trimmed=True).to_list() == compact(trimmed, step).to_list()


ids = st.text(alphabet=st.sampled_from("0123456789Xx +-()８６年月日/."), max_size=20)


@settings(max_examples=200, deadline=None)
@given(st.lists(ids, max_size=30))
def test_compact_with_a_precomputed_test_equals_the_plain_step(values: list[str]) -> None:
    # evaluate() runs a step's test once over a whole view and hands each pattern its rows.
    series = pl.Series("v", values, dtype=pl.String)
    plain = {step: apply(COMPACT[step], series).to_list() for step in COMPACT}
    for step in COMPACT:
        test = compact_test(step)
        tested = None if test is None else series.str.contains(test).to_numpy()
        assert compact(series, step, tested=tested).to_list() == plain[step], step
