"""Risk metrics: k and l against pycanon, the other measures against a brute-force count."""

from __future__ import annotations

from collections import Counter

import numpy as np
import polars as pl
import pytest
from pycanon import anonymity

from fenji.deid.effect import grade_effect
from fenji.deid.risk import measure_risk
from fenji.errors import InputError

QUASI = ["性别", "年龄段", "城市", "职业"]
CITIES = ["北京", "上海", "广州", "深圳", "成都"]


def table(seed: int, n: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "性别": rng.choice(["男", "女"], n),
            "年龄段": rng.choice(["20-29", "30-39", "40-49", "50-59"], n),
            "城市": rng.choice(CITIES, n, p=[.4, .3, .2, .07, .03]),
            "职业": rng.choice([f"职业{i}" for i in range(rng.integers(2, 8))], n),
            "诊断": rng.choice(["高血压", "糖尿病", "感冒", "骨折", "哮喘"], n),
            "收入": rng.choice(["低", "中", "高"], n),
        }
    )  # fmt: skip


@pytest.mark.parametrize(("seed", "n", "quasi"), [
    (1, 50, QUASI), (2, 300, QUASI), (3, 2000, QUASI), (4, 400, QUASI[:2]), (5, 120, QUASI[1:3]),
])  # fmt: skip
def test_k_and_l_equal_pycanon(seed: int, n: int, quasi: list[str]) -> None:
    frame = table(seed, n)
    report = measure_risk(frame, quasi, ["诊断", "收入"])
    pandas = frame.to_pandas()
    assert report.k == anonymity.k_anonymity(pandas, quasi)
    assert report.l == anonymity.l_diversity(pandas, quasi, ["诊断", "收入"])
    single = measure_risk(frame, quasi, ["诊断"])
    assert single.l == anonymity.l_diversity(pandas, quasi, ["诊断"])


@pytest.mark.parametrize("seed", [7, 8, 9])
def test_class_counts_and_risks_match_a_brute_force_count(seed: int) -> None:
    frame = table(seed, 500)
    report = measure_risk(frame, QUASI, threshold=0.25)
    rows = list(frame.select(QUASI).iter_rows())
    sizes = Counter(rows)
    per_record = [1 / sizes[r] for r in rows]
    assert report.records == 500
    assert report.equivalence_classes == len(sizes)
    assert report.k == min(sizes.values())
    assert report.uniques == sum(1 for s in sizes.values() if s == 1)
    assert report.prosecutor_risk.max == pytest.approx(max(per_record))
    assert report.prosecutor_risk.avg == pytest.approx(sum(per_record) / 500)
    assert report.marketer_risk == pytest.approx(len(sizes) / 500)
    assert report.records_at_risk == pytest.approx(sum(r > 0.25 for r in per_record) / 500)
    assert report.l is None and report.journalist_risk is None


def test_journalist_risk_uses_population_class_sizes() -> None:
    population = table(11, 3000)
    sample = population.sample(300, seed=3)
    report = measure_risk(sample, QUASI, population=population)
    pop_sizes = Counter(population.select(QUASI).iter_rows())
    rows = list(sample.select(QUASI).iter_rows())
    risks = [1 / pop_sizes[r] for r in rows]
    assert report.journalist_risk is not None
    assert report.journalist_risk.max == pytest.approx(max(risks))
    assert report.journalist_risk.avg == pytest.approx(sum(risks) / len(rows))
    assert report.marketer_risk == pytest.approx(sum(risks) / len(rows))
    assert report.journalist_risk.max <= report.prosecutor_risk.max


def test_population_never_counts_smaller_than_the_sample() -> None:
    sample = pl.DataFrame({"q": ["a", "a", "b"]})
    population = pl.DataFrame({"q": ["a", "c"]})  # incomplete population file
    report = measure_risk(sample, ["q"], population=population)
    assert report.journalist_risk is not None and report.journalist_risk.max == 1.0
    assert report.journalist_risk.avg == pytest.approx((2 * 0.5 + 1) / 3)


def test_nulls_form_their_own_class_and_do_not_count_as_sensitive_values() -> None:
    frame = pl.DataFrame({"q": [None, None, "x", "x"], "s": [None, "a", "a", "b"]})
    report = measure_risk(frame, ["q"], ["s"])
    assert report.equivalence_classes == 2 and report.k == 2 and report.l == 1


def test_bad_columns_are_named() -> None:
    frame = table(1, 10)
    with pytest.raises(InputError, match="'邮编' not found; columns: "):
        measure_risk(frame, ["邮编"])
    with pytest.raises(InputError, match="both quasi and sensitive"):
        measure_risk(frame, ["诊断"], ["诊断"])


def test_empty_quasi_list_puts_every_record_in_one_class() -> None:
    report = measure_risk(table(1, 40), [])
    assert report.k == 40 and report.equivalence_classes == 1
    assert report.effect_grade.level == "L4"


# --- effect grade ---------------------------------------------------------------------------


def test_effect_grade_levels_follow_gbt_42460() -> None:
    assert grade_effect(["姓名"], ["性别"], 0.01).level == "L1"
    assert grade_effect([], [], None).level == "L4"
    assert grade_effect([], ["性别"], 1 / 5, scenario="agreement").level == "L3"
    assert grade_effect([], ["性别"], 1 / 4, scenario="agreement").level == "L2"
    assert grade_effect([], ["性别"], 1 / 20, scenario="public").level == "L3"
    assert grade_effect([], ["性别"], 1 / 19, scenario="public").level == "L2"
    assert grade_effect([], ["性别"], 1 / 3, scenario="enclave").level == "L3"
    assert grade_effect([], ["性别"], 0.3, threshold=0.25).level == "L2"


def test_effect_grade_cites_annex_d_as_to_be_verified() -> None:
    grade = grade_effect([], ["性别"], 0.1)
    assert any("Annex D" in c and "verify" in c for c in grade.citations)
    assert grade.to_dict()["threshold"] == 0.2


def test_effect_grade_refuses_to_claim_l4_when_no_roles_are_known() -> None:
    assert grade_effect([], [], None, roles_known=False).level == "unassessed"
    with pytest.raises(InputError, match="valid: agreement, enclave, public"):
        grade_effect([], ["a"], 0.1, scenario="cloud")


def test_risk_report_grades_with_the_measured_k() -> None:
    frame = pl.DataFrame({"q": ["a"] * 5 + ["b"] * 4})
    assert measure_risk(frame, ["q"]).effect_grade.level == "L2"  # k=4 > 1/5
    assert measure_risk(frame, ["q"], scenario="enclave").effect_grade.level == "L3"
    assert measure_risk(frame, ["q"], direct=["q"]).effect_grade.level == "L1"
    as_dict = measure_risk(frame, ["q"]).to_dict()
    for key in ("records", "equivalence_classes", "k", "uniques", "prosecutor_risk",
                "marketer_risk", "records_at_risk", "effect_grade"):  # fmt: skip
        assert key in as_dict
