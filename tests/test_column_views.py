"""Shortcuts in candidate compaction equal the plain Polars steps they skip work for."""

from __future__ import annotations

import datetime

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from fenji.detect.column_eval import apply, build_views, compact, compact_test
from fenji.detect.column_exprs import (
    COMPACT,
    PREPROCESS,
    date_past,
    literal_strip,
    may_change,
    strip_bytes,
)

# Every Unicode White_Space character (what Rust's trim removes), plus punctuation that is not.
SPACES = "\t\n\x0b\x0c\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + (
    "\u2028\u2029\u202f\u205f\u3000"
)
LOOKALIKES = "\u2014\u201c\u201d\u3001\u3002\xa1\u0800\u1681\u2060\u3003"
cells = st.text(
    alphabet=st.sampled_from(SPACES + LOOKALIKES + "ab1张伟AZÉ@."), max_size=8
) | st.text()


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
        # From the bytes: a superset of the regex's cells, and the same result.
        fast = may_change(series, step)
        if fast is not None and test is not None:
            assert not (series.str.contains(test).fill_null(False).to_numpy() & ~fast).any()
            assert compact(series, step, tested=fast).to_list() == plain[step], step


def polars_date_past(values: list[str | None], today: datetime.date) -> list[float]:
    """The validator as Polars' own date parser decides it (what the byte matrix replaces)."""
    dates = pl.Series(values, dtype=pl.String).str.to_date("%Y%m%d", strict=False)
    ok = dates.is_between(datetime.date(1900, 1, 1), today).fill_null(False)
    return ok.cast(pl.Float64).to_list()


eight_digits = st.dates(datetime.date(1850, 1, 1), datetime.date(2100, 12, 31)).map(
    lambda d: d.strftime("%Y%m%d")
) | st.text(alphabet="0123456789", min_size=8, max_size=8)
date_like = eight_digits | st.text(alphabet="0123456789 -/+年月日", max_size=10) | st.none()


@settings(max_examples=300, deadline=None)
@given(st.lists(date_like, max_size=30), st.dates(datetime.date(2000, 1, 1)))
def test_date_past_equals_polars_date_parsing(
    values: list[str | None], today: datetime.date
) -> None:
    got = date_past(pl.Series(values, dtype=pl.String), today).to_list()
    assert got == polars_date_past(values, today)


iso_dates = st.dates(datetime.date(1900, 1, 1), datetime.date(2099, 12, 31)).map(
    lambda d: d.strftime("%Y-%m-%d").replace("-", "/", d.day % 2)
)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(iso_dates, max_size=20),
    st.lists(st.text(alphabet="0123456789-/.年月日", max_size=11), max_size=20),
)
def test_ymd_takes_fixed_forms_from_their_bytes(dates: list[str], other: list[str]) -> None:
    series = pl.Series("v", dates + other, dtype=pl.String)
    assert compact(series, "ymd").to_list() == apply(COMPACT["ymd"], series).to_list()
    compacted = compact(pl.Series("v", dates, dtype=pl.String), "ymd").to_list()
    assert compacted == [d.replace("-", "").replace("/", "") for d in dates]


def test_phone_compaction_from_bytes_keeps_country_codes_in_view() -> None:
    phones = pl.Series("v", ["8613800138000", "008613800138000", "13800138000", "+86 138", None])
    fast = may_change(phones, "phone_cn")
    assert fast is not None and fast.tolist() == [True, True, False, True, False]
    assert compact(phones, "phone_cn", tested=fast).to_list() == [
        "13800138000", "13800138000", "13800138000", "86138", None
    ]
    assert may_change(pl.Series("v", ["a1"] * 3 + ["abc"] * 5), "digits") is None  # many bytes


STRIP_CELLS = st.text(alphabet=st.sampled_from("138 0-()aAzZ.·•张\u3000\xa0１（\t"), max_size=10)
ASCII_STRIP_CELLS = st.text(alphabet=st.sampled_from("1380 -aAzZ()."), max_size=10)
UNSPACED_CELLS = st.text(alphabet=st.sampled_from("1380-aAzZ().\x7f"), max_size=10)
STRIPS = [r"[\s-]", r"[\s\-()]", r"\s", r"[\s\-·•.]", r"[a]", r"[Z]", r"\s+"]
CHAINS = [("halfwidth", "trim"), ("trim",), ("halfwidth", "trim", "upper"), ("trim", "lower")]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(STRIP_CELLS | st.none(), max_size=30)
    | st.lists(ASCII_STRIP_CELLS, max_size=30)
    | st.lists(UNSPACED_CELLS | st.none(), max_size=30),
    st.lists(st.tuples(st.sampled_from(CHAINS), st.sampled_from([*STRIPS, None])), min_size=1,
             max_size=4),
)
def test_views_equal_their_steps_applied_to_every_cell(
    values: list[str | None], keys: list[tuple[tuple[str, ...], str | None]]
) -> None:
    # Whatever the bytes let view_frame skip or do literally, the views are the plain steps'.
    series = pl.Series("v", values, dtype=pl.String)
    views = build_views(series, keys)
    for steps, strip in keys:
        expected = series
        for step in steps:
            expected = apply(PREPROCESS[step], expected)
        if strip is not None:
            expected = expected.str.replace_all(strip, "")
        assert views[steps, strip].to_list() == expected.to_list(), (steps, strip)


def test_separator_strips_over_ascii_text_are_literal_or_nothing() -> None:
    asked = strip_bytes([r"[\s-]", r"[\s\-()]", r"[a]"])
    assert asked == {ord(c) for c in "\t\n\x0b\x0c\r -()aA"}

    def occurs(text: str) -> dict[int, bool]:
        return {b: chr(b) in text for b in asked}

    assert literal_strip(occurs("110101199003074514"), r"[\s-]") == ()
    assert literal_strip(occurs("6222 0210 0112"), r"[\s-]") == (" ",)
    assert literal_strip(occurs("a-b c"), r"[\s\-()]") == (" ", "-")
    assert literal_strip(occurs("a-b c(d)"), r"[\s\-()]") is None  # more than a couple
    assert literal_strip(occurs("ID A1"), r"[a]") == ("a",)  # lower-casing would make one
    assert literal_strip(occurs("x"), r"\s+") is None  # not one character class


def test_full_width_text_strips_once_folded_as_the_regex_would() -> None:
    folded_phone, bracketed = "１３８\u3000００１３\u3000８０００", "（０１０）１２３４５６７８"
    series = pl.Series("v", ["+86 138 0013 8000", folded_phone, bracketed, "张 三"])
    keys = [(("halfwidth", "trim"), r"[\s-]"), (("trim",), r"[\s-]")]
    views = build_views(series, keys)
    assert views[keys[0]].to_list() == ["+8613800138000", "13800138000", "(010)12345678", "张三"]
    unfolded = "１３８００１３８０００"
    assert views[keys[1]].to_list() == ["+8613800138000", unfolded, bracketed, "张三"]
    phones = series.head(3)
    views = build_views(phones, keys)  # ASCII once folded: the literal path
    assert views[keys[0]].to_list() == ["+8613800138000", "13800138000", "(010)12345678"]
    assert views[keys[1]].to_list() == ["+8613800138000", unfolded, bracketed]
