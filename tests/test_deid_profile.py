"""Profiles (YAML load/save, validation, --auto) and applying them (engine, utility)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from fenji.deid.engine import deidentify
from fenji.deid.profile import (
    Profile,
    Rule,
    auto_profile,
    load_profile,
    parse_profile,
    save_profile,
)
from fenji.errors import ConfigError, InputError
from fenji.model import ColumnProfile, InfoTypeHit

KEY = b"profile-test-key-0123456789"


def col(name: str, info: str | None = None, role: str | None = None, sensitive=False):
    hits = (InfoTypeHit(info, 0.99, 10, 10, "test"),) if info else ()
    return ColumnProfile(name, "str", 10, hits, role=role, sensitive=sensitive)


def test_save_then_load_gives_the_same_profile(tmp_path: Path) -> None:
    profile = Profile(
        (
            Rule(
                "身份证号", "pseudonymize", {"format": "CN_RESIDENT_ID"}, "direct", "CN_RESIDENT_ID"
            ),
            Rule("出生日期", "generalize", {"kind": "date", "to": "year"}, "quasi"),
            Rule("诊断", "keep", {}, "sensitive", note="declared"),
        ),
        k=5,
        max_suppression=0.02,
        unlisted="drop",
    )
    path = save_profile(profile, tmp_path / "p.yaml")
    text = path.read_text(encoding="utf-8")
    assert "身份证号" in text and text.startswith("# fenji de-identification profile")
    loaded = load_profile(path)
    assert loaded.rules == profile.rules
    assert (loaded.k, loaded.max_suppression, loaded.unlisted) == (5, 0.02, "drop")
    assert loaded.columns_with("quasi") == ("出生日期",) and loaded.needs_key
    with pytest.raises(InputError, match="already exists"):
        save_profile(profile, path)
    assert [p.name for p in tmp_path.iterdir()] == ["p.yaml"]  # no temp files left


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "a profile is a mapping"),
        ({"columns": {}, "extra": 1}, "unknown key(s) extra; valid keys: columns, fenji_profile"),
        ({"columns": {}}, "'columns' must map"),
        ({"columns": {"a": {"operator": "keep", "role": "boss"}}}, "role must be one of direct"),
        ({"columns": {"a": {"operator": "keep", "colour": 1}}}, "unknown key(s) colour"),
        ({"unlisted": "ignore", "columns": {"a": {"operator": "keep"}}}, "unlisted must be"),
        ({"k_anonymity": {"k": 1}, "columns": {"a": {"operator": "keep"}}}, "integer >= 2"),
        ({"k_anonymity": {"k": 5, "max_suppression": 2}, "columns": {"a": {"operator": "keep"}}},
         "max_suppression must be in [0, 1)"),
        ({"fenji_profile": 9, "columns": {"a": {"operator": "keep"}}}, "fenji_profile must be 1"),
        ({"columns": {"a": {"operator": "blur"}}}, "unknown operator 'blur'"),
    ],
)  # fmt: skip
def test_invalid_profiles_name_the_file_and_field(data, message) -> None:
    with pytest.raises(ConfigError) as err:
        parse_profile(data, "profile p.yaml")
    assert str(err.value).startswith("profile p.yaml")
    assert message in str(err.value)


def test_yaml_syntax_errors_give_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("columns:\n  a: {operator: keep\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad.yaml: not valid YAML at line \d"):
        load_profile(path)


def test_auto_profile_follows_identifier_roles() -> None:
    data = pl.DataFrame(
        {
            "出生日期": [f"19{80 + i}-03-07" for i in range(20)],
            "年龄": [str(20 + i) for i in range(20)],
        }
    )
    profile = auto_profile(
        [
            col("姓名", "PERSON_NAME", "direct"),
            col("身份证号", "CN_RESIDENT_ID"),  # no role from the scan: Annex A says direct
            col("密码", "CREDENTIAL", "direct"),
            col("住址", "ADDRESS", "direct"),
            col("出生日期", "DATE_OF_BIRTH", "quasi"),
            col("年龄", None, "quasi"),
            col("诊断", "HEALTH_INFO", "sensitive", sensitive=True),
            col("备注"),
        ],
        data=data,
    )
    rules = {r.column: r for r in profile.rules}
    assert rules["姓名"].operator == "pseudonymize" and rules["姓名"].params == {"format": "token"}
    assert rules["身份证号"].role == "direct" and rules["身份证号"].operator == "pseudonymize"
    assert rules["密码"].operator == "suppress"
    assert (rules["住址"].operator, rules["住址"].role) == ("generalize", "quasi")
    assert rules["住址"].params == {"kind": "address", "to": "city"}
    assert rules["出生日期"].params == {"kind": "date", "to": "month"}
    assert rules["年龄"].operator == "generalize" and rules["年龄"].params["kind"] == "number"
    assert (rules["诊断"].operator, rules["诊断"].role) == ("keep", "sensitive")
    assert (rules["备注"].operator, rules["备注"].role) == ("keep", None)
    assert profile.columns_with("sensitive") == ("诊断",) and profile.needs_key


def frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "id": ["A1", "A1", "B2", "C3", None],
            "visit": ["2021-05-01", "2021-06-01", "2021-05-01", "2021-05-01", "2021-07-01"],
            "city": ["北京", "北京", "上海", "北京", "上海"],
            "note": ["x", "y", "z", "w", "v"],
        }
    )


def test_unlisted_columns_error_keep_or_drop() -> None:
    rules = (Rule("id", "keep", {}, "direct"),)
    with pytest.raises(InputError, match="'visit', 'city', 'note' are not in the profile"):
        deidentify(frame(), Profile(rules))
    kept = deidentify(frame(), Profile(rules, unlisted="keep")).frame
    assert kept.columns == ["id", "visit", "city", "note"]
    dropped = deidentify(frame(), Profile(rules, unlisted="drop"))
    assert dropped.frame.columns == ["id"] and dropped.dropped_columns == ("visit", "city", "note")


def test_missing_columns_and_missing_key_are_reported() -> None:
    with pytest.raises(InputError, match="'电话' not in the input; columns: city, id, note, visit"):
        deidentify(frame(), Profile((Rule("电话", "keep"),), unlisted="keep"))
    keyed = Profile((Rule("id", "hash", {}, "direct"),), unlisted="keep")
    with pytest.raises(InputError, match="hash, which need a secret key.*FENJI_KEY"):
        deidentify(frame(), keyed)


def test_date_shift_keys_on_the_original_id_even_when_it_is_pseudonymised() -> None:
    profile = Profile(
        (
            Rule("id", "pseudonymize", {}, "direct"),
            Rule("visit", "date_shift", {"by": "id", "max_days": 20}),
        ),
        unlisted="drop",
    )
    out = deidentify(frame(), profile, key=KEY).frame
    assert out["id"][0] == out["id"][1] != "A1"
    a1 = [pl.Series([v]).str.to_date()[0] for v in out["visit"][:2]]
    assert (a1[1] - a1[0]).days == 31  # same person, same shift
    assert out["visit"][4] is None  # no individual id: the date is blanked, not guessed


def test_record_suppression_and_utility_counts() -> None:
    profile = Profile(
        (
            Rule("city", "suppress", {"scope": "record", "min_count": 3}, "quasi"),
            Rule("note", "redact", {}),
            Rule("id", "suppress", {}, "direct"),
        ),
        unlisted="drop",
    )
    result = deidentify(frame(), profile)
    assert result.frame["city"].to_list() == ["北京", "北京", "北京"]
    assert (result.records_in, result.records_out, result.suppressed_records) == (5, 3, 2)
    utility = {u.column: u for u in result.utility}
    assert (utility["city"].distinct_before, utility["city"].distinct_after) == (2, 1)
    assert utility["note"].distinct_after == 1 and utility["note"].suppressed_cells == 0
    assert utility["id"].suppressed_cells == 3  # A1, A1, C3 blanked; nothing else lost
    assert result.risk.effect_grade.level in ("L2", "L3")  # id was suppressed: no direct left


def test_effect_grade_of_the_output_knows_which_direct_identifiers_remain() -> None:
    masked = Profile((Rule("id", "mask", {}, "direct"),), unlisted="keep")
    assert deidentify(frame(), masked).risk.effect_grade.level == "L1"
    no_roles = Profile((Rule("id", "mask", {}),), unlisted="keep")
    assert deidentify(frame(), no_roles).risk.effect_grade.level == "unassessed"


def test_utility_shows_the_ladder_step_of_a_reviewed_profile() -> None:
    data = pl.DataFrame({"born": [f"19{50 + i % 40}-0{1 + i % 9}-1{i % 10}" for i in range(200)]})
    profile = Profile(
        (Rule("born", "generalize", {"kind": "date", "to": "year"}, "quasi"),), unlisted="error"
    )
    (utility,) = deidentify(data, profile).utility
    assert utility.generalisation == "2/4 (date to year)"
    assert utility.distinct_after == 40 < utility.distinct_before
