"""The leading surname of a value, found from the bytes of its first characters."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from fenji.detect.names import cn_surname, surname_length, surnames

SINGLE, COMPOUND = surnames()


def reference(value: str | None) -> int:
    """The widest table surname the value opens with, one Python string at a time."""
    if value is None:
        return 0
    width = 1 if value[:1] in SINGLE else 0
    for name in COMPOUND:
        if value.startswith(name):
            width = max(width, len(name))
    return width


OTHERS = ["伟", "丽", "a", " ", "é", "\U0001f600", "ｚ", "\u0800"]
pieces = st.sampled_from(sorted(SINGLE)[:40] + sorted(COMPOUND) + OTHERS)
values = st.lists(pieces, max_size=5).map("".join) | st.text(max_size=6) | st.none()


@settings(max_examples=300, deadline=None)
@given(st.lists(values, max_size=30))
def test_surname_length_is_the_widest_table_surname(cells: list[str | None]) -> None:
    got = surname_length(pl.Series("v", cells, dtype=pl.String))
    assert got.dtype == pl.UInt32
    assert got.to_list() == [reference(v) for v in cells]


def test_surnames_and_names() -> None:
    names = pl.Series(["欧阳修", "张三", "爱新觉罗溥仪", "张", "司马", "a张", None, ""])
    assert surname_length(names).to_list() == [2, 1, 4, 1, 2, 0, 0, 0]
    # A name needs a given name after its surname.
    assert cn_surname(names).to_list() == [1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0]
