"""Keyed hashes, HLL sketches and distinct-individual estimates (fenji.individuals)."""

from __future__ import annotations

import hmac
import os
import stat
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from fenji.errors import ConfigError, InputError
from fenji.individuals import (
    KEY_PRIORITY,
    SketchBuilder,
    choose_key,
    estimate_individuals,
    hmac_key,
    key_fingerprint,
    keyed_hashes,
    resident_id_birth_dates,
    union_estimate,
)
from fenji.model import ColumnProfile, InfoTypeHit

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))


def synthetic_ids(start: int, n: int, born: date = date(1980, 1, 1)) -> pl.Series:
    """``n`` distinct 18-character resident-ID-shaped strings, built column-wise (no loop)."""
    i = pl.Series("i", np.arange(start, start + n, dtype=np.int64))
    days = pl.Series([born]).cast(pl.Int32)[0] + (i // 1000)
    ymd = days.cast(pl.Int32).cast(pl.Date).dt.strftime("%Y%m%d")
    seq = (i % 1000).cast(pl.Utf8).str.zfill(3)
    return ("110101" + ymd + seq + "X").rename("sfzh")


def batches(values: pl.Series, size: int) -> list[pl.DataFrame]:
    df = values.to_frame()
    return [df.slice(o, size) for o in range(0, len(df), size)]


# --- keyed hashes ----------------------------------------------------------------------------


@pytest.mark.parametrize("key", [KEY, b"k" * 16, b"long key " * 20])
def test_keyed_hashes_are_hmac_sha256_truncated(key: bytes) -> None:
    values = pl.Series(["110101199003074514", "13800138000", "张三@example.com"])
    got = keyed_hashes(values, key).to_list()
    want = [hmac.digest(key, v.encode(), "sha256")[:16] for v in values.to_list()]
    assert got == want


def test_keyed_hashes_align_with_input_and_keep_nulls() -> None:
    values = pl.Series("x", ["a", None, "b", "a"])
    out = keyed_hashes(values, KEY)
    assert out.dtype == pl.Binary and out.name == "x" and len(out) == 4
    assert out[1] is None
    assert out[0] == out[3] != out[2]


def test_different_keys_give_different_hashes() -> None:
    values = pl.Series(["110101199003074514", "13800138000"])
    a, b = keyed_hashes(values, KEY), keyed_hashes(values, OTHER_KEY)
    assert set(a.to_list()).isdisjoint(b.to_list())
    assert key_fingerprint(KEY) == key_fingerprint(KEY) != key_fingerprint(OTHER_KEY)


# --- the key ---------------------------------------------------------------------------------


def test_hmac_key_file_created_private_and_stable(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "hmac.key"
    first = hmac_key(path)
    assert len(first) == 32
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert hmac_key(path) == first
    assert hmac_key(tmp_path / "other.key") != first


def test_hmac_key_default_file_next_to_catalogue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FENJI_KEY", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    key = hmac_key()
    assert (tmp_path / "fenji" / "hmac.key").read_text().strip() == key.hex()
    assert hmac_key() == key


def test_hmac_key_from_env_hex_or_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.setenv("FENJI_KEY", KEY.hex())
    assert hmac_key() == KEY
    monkeypatch.setenv("FENJI_KEY", "a passphrase of some length")
    assert hmac_key() == b"a passphrase of some length"
    assert not (tmp_path / "fenji" / "hmac.key").exists()
    # An explicit key file wins over the environment.
    assert hmac_key(tmp_path / "k") != hmac_key()


def test_short_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FENJI_KEY", "short")
    with pytest.raises(ConfigError, match="FENJI_KEY.*at least 16 bytes"):
        hmac_key()


# --- sketches --------------------------------------------------------------------------------


def test_sketch_union_counts_overlap_once() -> None:
    ids = synthetic_ids(0, 10_000)
    a, b = SketchBuilder(), SketchBuilder()
    a.update_series(keyed_hashes(ids[:6000], KEY))
    b.update_series(keyed_hashes(ids[4000:], KEY))
    assert abs(a.estimate() - 6000) < 120 and abs(b.estimate() - 6000) < 120
    union = union_estimate([a.serialize(), b.serialize()])
    assert abs(union - 10_000) <= 200  # not 12,000
    merged = SketchBuilder.from_bytes(a.serialize())
    merged.merge(b.serialize())
    assert merged.estimate() == union
    lo, hi = merged.bounds()
    assert lo <= 10_000 <= hi


def test_sketch_refuses_raw_text_and_bad_input() -> None:
    with pytest.raises(InputError, match="keyed_hashes"):
        SketchBuilder().update_series(pl.Series(["110101199003074514"]))
    with pytest.raises(InputError, match="lg_k"):
        SketchBuilder(lg_k=30)
    with pytest.raises(InputError, match="not a DataSketches HLL sketch"):
        SketchBuilder.from_bytes(b"not a sketch")


def test_estimate_within_two_percent_on_200k_distinct_ids() -> None:
    n = 200_000
    ids = synthetic_ids(0, n)
    assert ids.n_unique() == n
    # Each person appears twice, in different batches, with stray spaces and lower case.
    noisy = pl.concat([ids, " " + ids.str.to_lowercase() + " "]).sample(fraction=1.0, seed=1)
    result = estimate_individuals(batches(noisy, 50_000), "sfzh", "CN_RESIDENT_ID", KEY)
    assert abs(result.estimate - n) / n < 0.02
    assert result.key == "CN_RESIDENT_ID" and result.column == "sfzh"
    assert result.minors_under_14 is None
    assert SketchBuilder.from_bytes(result.sketch).estimate() == result.estimate


def test_estimate_does_not_depend_on_row_order() -> None:
    ids = synthetic_ids(0, 50_000)
    a, b = (
        estimate_individuals([ids.sample(fraction=1.0, seed=s).to_frame()], "sfzh", "X", KEY)
        for s in (1, 2)
    )
    assert a.estimate == b.estimate and a.sketch == b.sketch


def test_estimate_ignores_empty_values_and_needs_the_column() -> None:
    df = pl.DataFrame({"phone": ["13800138000", "", None, " 13800138000", "13900139000"]})
    assert estimate_individuals([df], "phone", "CN_MOBILE_PHONE", KEY).estimate == 2
    assert estimate_individuals([], "phone", "CN_MOBILE_PHONE", KEY).estimate == 0
    with pytest.raises(InputError, match="'tel' not in batch; columns: phone"):
        estimate_individuals([df], "tel", "CN_MOBILE_PHONE", KEY)


def test_custom_normaliser_decides_what_counts_as_one_person() -> None:
    df = pl.DataFrame({"phone": ["138 0013 8000", "13800138000", "+86 13800138000"]})
    digits_only = lambda s: s.str.replace_all(r"\D", "").str.slice(-11)  # noqa: E731
    assert estimate_individuals([df], "phone", "CN_MOBILE_PHONE", KEY).estimate == 3
    assert estimate_individuals([df], "phone", "CN_MOBILE_PHONE", KEY, digits_only).estimate == 1


# --- minors ----------------------------------------------------------------------------------


def test_resident_id_birth_dates() -> None:
    ids = pl.Series(["110101201502281234", "110101150228123", "110101201502301234", "short"])
    assert resident_id_birth_dates(ids).to_list() == [
        date(2015, 2, 28),
        date(1915, 2, 28),
        None,
        None,
    ]


def test_minors_under_14_edges() -> None:
    today = date(2026, 6, 1)
    ids = pl.Series(
        "sfzh",
        [
            "110101201206011234",  # 14th birthday today: not a minor
            "110101201206021234",  # turns 14 tomorrow: minor
            "110101202606011234",  # born today: minor
            "110101202606021234",  # born tomorrow: impossible, not counted
            "110101199001011234",  # adult
            "110101201206021234",  # the same minor again
        ],
    )
    got = estimate_individuals(
        [ids.to_frame()],
        "sfzh",
        "CN_RESIDENT_ID",
        KEY,
        birth_dates=resident_id_birth_dates,
        today=today,
    )
    assert got.minors_under_14 == 2
    assert got.estimate == 5


def test_minors_counted_against_known_birth_distribution() -> None:
    today = date(2026, 6, 1)
    # 3,000 children born 2014-06-02..04 (all under 14 on 2026-06-01), 7,000 adults born 1960.
    kids = synthetic_ids(0, 3000, born=date(2014, 6, 2))
    adults = synthetic_ids(0, 7000, born=date(1960, 1, 1))
    assert kids.str.slice(6, 8).max() < "20260601"  # all born before today
    people = pl.concat([adults, kids, kids]).sample(fraction=1.0, seed=3)
    got = estimate_individuals(
        batches(people, 4000),
        "sfzh",
        "CN_RESIDENT_ID",
        KEY,
        birth_dates=resident_id_birth_dates,
        today=today,
    )
    assert got.minors_under_14 is not None
    assert abs(got.minors_under_14 - 3000) <= 60
    assert abs(got.estimate - 10_000) <= 200


# --- choosing the key ------------------------------------------------------------------------


def col(name: str, *types: str, hits: int = 900, score: float = 0.9) -> ColumnProfile:
    hits_ = tuple(InfoTypeHit(t, score, hits, 1000, f"{t.lower()}-re") for t in types)
    return ColumnProfile(name=name, dtype="str", non_empty=1000, info_types=hits_)


def test_choose_key_follows_priority() -> None:
    columns = [
        col("email", "EMAIL_ADDRESS"),
        col("mobile", "CN_MOBILE_PHONE"),
        col("id", "CN_RESIDENT_ID"),
        col("note"),
    ]
    assert choose_key(columns) == ("id", "CN_RESIDENT_ID")
    assert choose_key(columns[:2]) == ("mobile", "CN_MOBILE_PHONE")
    assert choose_key([col("note"), col("name", "PERSON_NAME")]) is None
    assert KEY_PRIORITY[0] == "CN_RESIDENT_ID" and KEY_PRIORITY[-1] == "CN_LICENSE_PLATE"


def test_choose_key_uses_best_type_only_and_breaks_ties_by_hits() -> None:
    # A QQ-number column that also looks a bit like phone numbers is not a phone column.
    assert choose_key([col("qq", "QQ_NUMBER", "CN_MOBILE_PHONE")]) == ("qq", "QQ_NUMBER")
    two = [col("phone_a", "CN_MOBILE_PHONE", hits=500), col("phone_b", "CN_MOBILE_PHONE")]
    assert choose_key(two) == ("phone_b", "CN_MOBILE_PHONE")


def test_synthetic_ids_are_distinct_and_dated() -> None:
    ids = synthetic_ids(0, 5000, born=date(2000, 1, 1))
    assert ids.n_unique() == 5000
    births = resident_id_birth_dates(ids)
    assert births.min() == date(2000, 1, 1)
    assert births.max() == date(2000, 1, 1) + timedelta(days=4)
