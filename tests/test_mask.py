"""Masking, sample picking, normalisation and validity masks."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fenji.detect.mask import mask_series, pick_samples
from fenji.detect.normalize import normalize, valid_forms, valid_mask
from fenji.detect.recognizer import INFO_TYPES


def _mask(values: list[str | None], info_type: str) -> list[str | None]:
    return mask_series(pl.Series(values, dtype=pl.String), info_type).to_list()


@pytest.mark.parametrize(
    ("info_type", "raw", "masked"),
    [
        ("CN_RESIDENT_ID", "110101199003074514", "110***********4514"),
        ("CN_RESIDENT_ID", "11010519491231002x", "110***********002X"),
        ("CN_MOBILE_PHONE", "＋８６ １３８ ００１３ ８０００", "138****8000"),
        ("CN_MOBILE_PHONE", "0086-138-0013-8000", "138****8000"),
        ("BANK_CARD_NUMBER", "6222 0210 0112 3456 789", "6222***********6789"),
        ("EMAIL_ADDRESS", "Zhang.San@Example.com", "z***@example.com"),
        ("PERSON_NAME", "张三", "张*"),
        ("PERSON_NAME", "诸葛孔明", "诸葛**"),
        ("PERSON_NAME", "Mary O'Neil", "M*** O*****"),
        ("ADDRESS", "广东省深圳市南山区科技园南区8栋1201室", "广东省深圳市南山区***"),
        ("ADDRESS", "建国路88号", "建国****"),
        ("IP_ADDRESS", "192.168.1.10", "1**********0"),
        ("GENDER", "男", "*"),
        ("HEALTH_INFO", "青霉素过敏", "青***敏"),
    ],
)
def test_mask_rules(info_type: str, raw: str, masked: str) -> None:
    assert _mask([raw], info_type) == [masked]


def test_nulls_and_empty_values_stay_null() -> None:
    assert _mask([None, "", "13800138000"], "CN_MOBILE_PHONE") == [None, None, "138****8000"]


@settings(max_examples=60, deadline=None)
@given(
    # No stars in the value: "0*" masks to itself, as the hidden part was a star already.
    value=st.text(st.characters(exclude_characters="*"), min_size=1, max_size=30).filter(
        lambda v: v.strip() != ""
    ),
    info_type=st.sampled_from(sorted(INFO_TYPES)),
)
def test_a_masked_value_never_shows_the_whole_value(value: str, info_type: str) -> None:
    (masked,) = _mask([value], info_type)
    canonical = normalize(pl.Series([value]), info_type).to_list()[0]
    if masked is None:  # only values that normalise to nothing
        assert not canonical
        return
    assert "*" in masked
    assert masked not in (value, canonical)


def test_pick_samples_masks_distinct_validated_values_only() -> None:
    values = pl.Series(
        ["138****8000", "not a phone", "13800138000", "+86 138 0013 8000", None, "13912345678"]
    )
    assert pick_samples(values, "CN_MOBILE_PHONE") == ("138****8000", "139****5678")
    assert pick_samples(values, "CN_MOBILE_PHONE", n=1) == ("138****8000",)
    assert pick_samples(pl.Series(["138****8000", "无"]), "CN_MOBILE_PHONE") == ()


def test_pick_samples_reads_free_text() -> None:
    remarks = pl.Series(["请致电13800138000联系", "无", "身份证号110101199003074514已核验"])
    assert pick_samples(remarks, "CN_MOBILE_PHONE") == ("138****8000",)
    assert pick_samples(remarks, "CN_RESIDENT_ID") == ("110***********4514",)


def test_pick_samples_for_column_name_led_types() -> None:
    assert pick_samples(pl.Series(["青霉素过敏", None, ""]), "HEALTH_INFO") == ("青***敏",)


def test_normalize_gives_canonical_identifiers() -> None:
    got = normalize(
        pl.Series(["+86 138-0013-8000", "１３８００１３８０００", "8613800138000", None]),
        "CN_MOBILE_PHONE",
    ).to_list()
    assert got == ["13800138000", "13800138000", "13800138000", None]
    assert normalize(pl.Series(["Zhang@Example.COM"]), "EMAIL_ADDRESS").to_list() == [
        "zhang@example.com"
    ]
    assert normalize(pl.Series(["6222-0210-0112-3456-789"]), "BANK_CARD_NUMBER").to_list() == [
        "6222021001123456789"
    ]
    # Not an identifier: folded and compacted the same way, not dropped.
    assert normalize(pl.Series(["１２３-abc"]), "CN_RESIDENT_ID").to_list() == ["123ABC"]
    assert normalize(pl.Series(["  无  "]), "HEALTH_INFO").to_list() == ["无"]


def test_valid_mask_counts_validated_whole_values() -> None:
    ids = pl.Series(["110101199003074514", "110101199003074515", "110***********4514", None])
    assert valid_mask(ids, "CN_RESIDENT_ID").to_list() == [True, False, False, False]
    permits = pl.Series(["12345678", "H12345678"])
    assert valid_mask(permits, "CN_HMT_PERMIT", hinted=True).to_list() == [True, True]
    assert valid_mask(permits, "CN_HMT_PERMIT", hinted=False).to_list() == [False, True]
    assert valid_mask(pl.Series(["x", " ", None]), "BIOMETRIC").to_list() == [True, False, False]


ID_LIKE = st.text(alphabet=st.sampled_from("0123456789Xx -+@.a张（）１８６"), max_size=22)


@settings(max_examples=80, deadline=None)
@given(
    values=st.lists(
        ID_LIKE | st.sampled_from(["13800138000", "110101199003074514", "110101199003074515"])
        | st.sampled_from(["张伟", "H12345678", "138****8000"]),
        max_size=12,
    ),
    info_type=st.sampled_from(sorted(INFO_TYPES)),
)
def test_valid_forms_are_the_normalised_valid_values(values: list[str], info_type: str) -> None:
    # pick_samples takes both in one pass; they must be what the two separate calls give.
    series = pl.Series("v", values, dtype=pl.String)
    ok = valid_mask(series, info_type).to_list()
    forms = normalize(series, info_type).to_list()
    expected = [f if keep else None for f, keep in zip(forms, ok, strict=True)]
    assert valid_forms(series, info_type).to_list() == expected
