"""Identifier preparation for matching, joining a party's rows to its PSI result, disclosure."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fenji.compute.disclosure import PRIMARY, SECONDARY, suppress_counts
from fenji.compute.normalize import MATCHABLE_TYPES, filter_within, prepare
from fenji.detect.recognizer import general_recognizers
from fenji.errors import InputError


def test_formatting_differences_become_one_identifier() -> None:
    col = pl.Series(["+86 138 0013 8000", "13800138000", "138-0013-8000",
                     "１３８ ００１３ ８０００", "13900139000", None, " ", "138****8000"])
    ids = prepare(col, "手机号")
    assert ids.info_type == "CN_MOBILE_PHONE"  # detected by the scan's column classifier
    assert ids.values.to_list() == ["13800138000", "13900139000"]
    assert (ids.rows, ids.empty, ids.invalid, ids.duplicates) == (8, 2, 1, 3)


def test_ids_and_emails_get_their_canonical_case() -> None:
    ids = prepare(pl.Series(["11010519491231002x", "110105 19491231 002X"]), "sfzh")
    assert (ids.info_type, ids.values.to_list()) == ("CN_RESIDENT_ID", ["11010519491231002X"])
    mails = prepare(pl.Series(["Foo.Bar@Example.COM", "foo.bar@example.com "]), "email")
    assert mails.values.to_list() == ["foo.bar@example.com"]


def test_column_must_hold_the_type() -> None:
    mostly_bad = pl.Series(["13800138000", "abc", "12", "hello", "x"])
    with pytest.raises(InputError, match=r"1 of 5 non-empty cells are valid"):
        prepare(mostly_bad, "phone", "CN_MOBILE_PHONE")
    with pytest.raises(InputError, match="pass --type"):
        prepare(pl.Series(["red", "green", "blue"]), "colour")
    with pytest.raises(InputError, match="not matchable; valid: BANK_CARD_NUMBER"):
        prepare(mostly_bad, "phone", "PERSON_NAME")
    with pytest.raises(InputError, match="no values to match"):
        prepare(pl.Series([None, ""], dtype=pl.String), "phone", "CN_MOBILE_PHONE")


def test_error_messages_never_quote_values() -> None:
    secret = "13812345678"
    with pytest.raises(InputError) as err:
        prepare(pl.Series([secret, "a", "b", "c"]), "phone", "CN_MOBILE_PHONE")
    assert secret not in str(err.value)


def test_every_matchable_type_has_a_pattern_recognizer() -> None:
    rs = general_recognizers()
    for kind in MATCHABLE_TYPES:
        assert any(r.patterns for r in rs.for_type(kind)), kind


def test_filter_within_matches_across_formats() -> None:
    df = pl.DataFrame({"tel": ["+86 138 0013 8000", "139-0013-9000", "13700137000", "bad"],
                       "amount": [1.0, 2.0, 3.0, 4.0]})
    within = pl.Series(["13800138000", "13700137000", "15000150000"])
    kept, kind = filter_within(df, "tel", within)
    assert kind == "CN_MOBILE_PHONE" and kept["amount"].to_list() == [1.0, 3.0]
    with pytest.raises(InputError, match="--id-column 'nope'"):
        filter_within(df, "nope", within)


def test_suppression_example() -> None:
    cells = suppress_counts(["a", "b", "c", "d"], [40, 3, 25, 12], 10)
    assert [(c.value, c.reason) for c in cells] == [
        (40, ""), (None, PRIMARY), (25, ""), (None, SECONDARY)
    ]
    # Two small cells already protect each other: no secondary suppression.
    assert [c.suppressed for c in suppress_counts(["a", "b", "c"], [2, 3, 40], 10)] == [
        True, True, False
    ]


@given(st.lists(st.integers(0, 60), min_size=2, max_size=8), st.integers(1, 30))
def test_no_suppressed_cell_follows_from_the_total(counts: list[int], k: int) -> None:
    cells = suppress_counts([str(i) for i in range(len(counts))], counts, k)
    hidden = [c for c in cells if c.suppressed]
    assert all(c.value is None or c.value >= k for c in cells)
    assert len(hidden) != 1 or len(cells) == 1  # one hidden cell = total minus the others
    shown = [c.value for c in cells if not c.suppressed]
    assert shown == [n for n, c in zip(counts, cells, strict=True) if not c.suppressed]
