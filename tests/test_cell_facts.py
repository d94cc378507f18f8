"""Per-cell facts behind the free-text statistics: the ASCII shortcut equals the general path."""

from __future__ import annotations

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from fenji.detect.counts import (
    Prepared,
    base_plan,
    cell_facts,
    count_evidence,
    plan_column,
    prepare,
)
from fenji.detect.probe import probe_flags
from fenji.detect.recognizer import general_recognizers

WHITE_SPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2028\u3000"
ascii_cells = st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=12)
ascii_words = st.text(alphabet=st.sampled_from("\t\n\x0b\x0c\r \x00\x1c\x1f\x7fab1-"), max_size=6)
any_cells = st.text(alphabet=st.sampled_from(WHITE_SPACE + "ab1张é\U0001f600"), max_size=8)


def reference(values: list[str]) -> tuple[list[int], list[bool], list[bool]]:
    """The facts by their definitions, one Python string at a time."""
    return (
        [len(v) for v in values],
        [v.strip(WHITE_SPACE) != "" for v in values],
        [any(ord(c) > 0x7F or c in "\t\n\x0b\x0c\r " for c in v) for v in values],
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(ascii_cells | ascii_words | any_cells, max_size=40))
def test_cell_facts_follow_their_definitions(values: list[str]) -> None:
    n, filled, wordy = cell_facts(pl.Series("v", values, dtype=pl.String))
    assert (n.tolist(), filled.tolist(), wordy.tolist()) == reference(values)


def test_identifier_columns_take_the_ascii_shortcut() -> None:
    ids = pl.Series("v", ["110101199003074514", "", "13800138000"])
    n, filled, wordy = cell_facts(ids)
    assert n.tolist() == [18, 0, 11] and filled.tolist() == [True, False, True]
    assert not wordy.any() and n.dtype == np.int64
    spaced = pl.Series("v", ["6222 0210", "   ", "\t"])
    n, filled, wordy = cell_facts(spaced)
    assert filled.tolist() == [True, False, False] and wordy.all()
    assert cell_facts(pl.Series("v", [], dtype=pl.String))[0].size == 0


@settings(max_examples=200, deadline=None)
@given(
    st.lists(ascii_cells | ascii_words, min_size=3, max_size=30),
    st.lists(any_cells, min_size=1, max_size=3),
)
def test_a_mostly_ascii_column_equals_the_definitions(ascii: list[str], wide: list[str]) -> None:
    # A few non-ASCII cells among ASCII ones (an ASCII cell first): the bytes give the ASCII
    # cells' facts and one Polars pass the others'.
    values = [ascii[0], *wide, *ascii[1:]]
    n, filled, wordy = cell_facts(pl.Series("v", values, dtype=pl.String))
    assert (n.tolist(), filled.tolist(), wordy.tolist()) == reference(values)


def test_full_width_digits_among_ascii_phone_numbers() -> None:
    phones = ["13800138000", "１３８００１３８０００", "+86 138 0013 8000", "\u3000"]
    phones.append("138-0013-8000")
    n, filled, wordy = cell_facts(pl.Series("v", phones))
    assert n.tolist() == [11, 11, 17, 1, 13]
    assert filled.tolist() == [True, True, True, False, True]
    assert wordy.tolist() == [False, True, True, True, False]


def test_a_batch_that_repeats_beyond_its_first_rows_is_counted_by_distinct_values() -> None:
    # 1,800 distinct names in the first 2,000 rows, 2,500 in all 40,000: the slice alone would
    # keep every row, the estimate over the batch reduces them to distinct values.
    rng = np.random.default_rng(3)
    given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
    pool = [f"{s}{a}{b}" for s in "王李张刘陈杨黄赵吴周" for a in given for b in given][:2500]
    names = [pool[i] for i in rng.permutation(2500)[:1800]] + [pool[i] for i in rng.integers(
        0, 2500, 38_200)]
    raw = pl.Series("姓名", names, dtype=pl.String)
    rs = general_recognizers()
    prep = prepare(raw, raw, rs)
    assert len(prep.values) <= 2500 and int(prep.weights.sum()) == 40_000
    plan = plan_column(base_plan("姓名", pl.String(), rs), probe_flags(raw.to_frame(), rs)["姓名"],
                       False, rs)
    assert plan.cell
    every_row = Prepared(raw, np.ones(len(raw), dtype=np.int64), prep.stats)
    assert count_evidence(prep, plan, rs) == count_evidence(every_row, plan, rs)
