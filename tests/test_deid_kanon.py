"""k-anonymity search: reaches k, respects the suppression cap, finds the least loss."""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np
import polars as pl
import pytest
from pycanon import anonymity

from fenji.deid.engine import deidentify
from fenji.deid.kanon import search_k
from fenji.deid.ladders import build_ladder, infer_kind
from fenji.deid.operators import OPERATORS
from fenji.deid.profile import Profile, Rule
from fenji.errors import InputError


def people(n: int, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    days = rng.integers(0, 20000, n)
    born = (np.datetime64("1950-01-01") + days.astype("timedelta64[D]")).astype(str)
    return pl.DataFrame(
        {
            "sex": rng.choice(["男", "女"], n),
            "born": born,
            "postcode": [f"{x:06d}" for x in rng.integers(100000, 130000, n)],
            "age": [str(x) for x in rng.integers(18, 90, n)],
            "diagnosis": rng.choice(["高血压", "糖尿病", "感冒"], n),
        }
    )


def profile_for(quasi: list[str]) -> Profile:
    rules = [Rule(c, "keep", {}, "quasi") for c in quasi]
    rules.append(Rule("diagnosis", "keep", {}, "sensitive"))
    return Profile(tuple(rules), unlisted="drop")


def brute_force(frame: pl.DataFrame, quasi: list[str], k: int, share: float) -> float:
    """Least loss over every step combination, counted row by row with a Counter."""
    ladders = [build_ladder(frame[c]) for c in quasi]
    outputs = [
        [OPERATORS[s.operator].apply(frame, ld.column, s.params, None).to_list() for s in ld.steps]
        for ld in ladders
    ]
    best = 1.0
    for node in itertools.product(*[range(ld.top + 1) for ld in ladders]):
        rows = list(zip(*[outputs[q][lvl] for q, lvl in enumerate(node)], strict=True))
        sizes = Counter(rows)
        suppressed = sum(1 for r in rows if sizes[r] < k)
        if suppressed > int(share * frame.height):
            continue
        s = suppressed / frame.height
        intensity = sum(lvl / ld.top for lvl, ld in zip(node, ladders, strict=True)) / len(node)
        best = min(best, intensity * (1 - s) + s)
    return best


@pytest.mark.parametrize(
    ("seed", "n", "quasi", "k", "share"),
    [
        (1, 300, ["sex", "born", "postcode"], 5, 0.05),
        (2, 500, ["sex", "age", "postcode"], 3, 0.0),
        (3, 400, ["born", "age"], 10, 0.1),
    ],
)
def test_search_finds_the_least_loss_and_the_output_has_k(seed, n, quasi, k, share) -> None:
    frame = people(n, seed)
    result = search_k(frame, profile_for(quasi), k, share)
    assert [lv.top for lv in result.levels] == [build_ladder(frame[c]).top for c in quasi]
    assert result.loss == pytest.approx(brute_force(frame, quasi, k, share))
    assert result.suppressed_records <= int(share * n)
    out = deidentify(frame, result.profile).frame
    assert out.height == n - result.suppressed_records
    assert anonymity.k_anonymity(out.select(quasi).fill_null("∅").to_pandas(), quasi) >= k


def test_chosen_steps_are_written_into_the_profile() -> None:
    frame = people(300, 5)
    result = search_k(frame, profile_for(["sex", "born"]), 5, 0.05)
    assert result.profile.k == 5 and result.profile.max_suppression == 0.05
    for level in result.levels:
        rule = result.profile.rule(level.column)
        assert rule is not None and rule.role == "quasi"
        assert str(level.level) in rule.note and "k=5" in rule.note
    assert result.nodes_evaluated <= result.lattice_size
    assert result.discernibility >= frame.height - result.suppressed_records


def test_profile_suppression_cap_is_enforced_when_applied() -> None:
    frame = people(200, 6)
    strict = Profile(profile_for(["born"]).rules, k=5, max_suppression=0.01, unlisted="drop")
    with pytest.raises(InputError, match="would suppress .* more than max_suppression"):
        deidentify(frame, strict)


def test_too_few_records_or_bad_settings_are_refused() -> None:
    frame = people(4)
    with pytest.raises(InputError, match="4 records, fewer than k = 5"):
        search_k(frame, profile_for(["sex"]), 5)
    with pytest.raises(InputError, match="--k must be at least 2"):
        search_k(frame, profile_for(["sex"]), 1)
    with pytest.raises(InputError, match="max-suppression"):
        search_k(frame, profile_for(["sex"]), 2, 1.5)


def test_no_quasi_identifiers_means_nothing_to_generalise() -> None:
    frame = people(50)
    result = search_k(frame, Profile((Rule("sex", "keep", {}, None),), unlisted="drop"), 5)
    assert result.levels == () and result.suppressed_records == 0 and result.loss == 0


def test_ladder_kinds_come_from_info_types_or_values() -> None:
    assert infer_kind(pl.Series(["男", "女"] * 10)) == "categorical"
    assert infer_kind(pl.Series([str(i) for i in range(100)])) == "number"
    assert infer_kind(pl.Series(["100080", "200001"] * 10)) == "prefix"
    assert infer_kind(pl.Series(["1990年3月7日", "1991-01-02"])) == "date"
    assert infer_kind(pl.Series(["39.9,116.4"] * 3)) == "gps"
    assert infer_kind(pl.Series(["北京市海淀区xx路"] * 3)) == "address"
    assert infer_kind(pl.Series(["x"]), ("CN_RESIDENT_ID",)) == "id_number"
    number = build_ladder(pl.Series("n", [str(i) for i in range(0, 1000)]))
    widths = [s.params["width"] for s in number.steps[1:-1]]
    assert widths == [widths[0] * f for f in (1, 2, 4, 8)]
