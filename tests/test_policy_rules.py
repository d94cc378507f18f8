"""Rule loading and condition semantics: every mistake in a rules file fails at load, naming the
file and the rule code; shipped packs load and cite their sources."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from fenji.errors import ConfigError
from fenji.policy import load_all_rules, load_rules
from fenji.policy.conditions import OPERATORS, evaluate, parse_condition
from fenji.policy.namespace import fact_specs
from fenji.policy.rules import load_rules_file
from fenji.policy.schema import activity_schema, safeguard_keys

GOOD_RULE: dict[str, Any] = {
    "code": "ZZ01",
    "text": "A test rule",
    "effect": "obligation",
    "citations": [{"law": "PIPL", "article": "Art. 13"}],
    "when": {"eq": ["activity.kind", "use"]},
    "met": {"set": "activity.legal_basis"},
}


def _write(tmp_path: Path, rules: list[dict[str, Any]], **extra: Any) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump({"pack": "test", "rules": rules, **extra}), "utf-8")
    return path


def test_a_good_rule_loads(tmp_path: Path) -> None:
    rs = load_rules_file(_write(tmp_path, [GOOD_RULE]))
    assert rs.codes() == ("ZZ01",)
    assert rs.rules[0].facts() == ("activity.kind", "activity.legal_basis")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"when": {"gtee": ["facts.individuals", 1]}}, "unknown operator 'gtee'"),
        ({"when": {"eq": ["facts.individual", 1]}}, "unknown fact 'facts.individual'"),
        ({"when": {"gte": ["activity.kind", 1]}},
         "'gte' needs a number fact; activity.kind is text"),
        ({"when": {"gte": ["facts.individuals", "many"]}}, "'gte' compares a number"),
        ({"when": {"between": ["facts.individuals", 1]}}, "'between' takes [fact, value, value]"),
        ({"when": {"all": []}}, "'all' takes a non-empty list"),
        ({"when": {"eq": ["facts.individuals", 1], "ne": ["facts.individuals", 2]}},
         "a condition is a mapping with one operator"),
        ({"when": {"lte": ["activity.retention_days", "$limit"]}}, "unknown parameter '$limit'"),
        ({"params": {"limit": 7}}, "parameter limit is declared but never used"),
        ({"when": {"lte": ["activity.retention_days", "$limit"]}, "params": {"limit": "seven"}},
         "parameter limit is compared with a number"),
        ({"met": None, "effect": "obligation"}, "an obligation needs a 'met' condition"),
        ({"effect": "notice"}, "a notice has no 'met' condition"),
        ({"effect": "advice"}, "effect 'advice' is not one of notice, obligation, prohibition"),
        ({"code": "X1"}, "'code' must be two capitals and two digits"),
        ({"colour": "red"}, "unknown key 'colour'"),
        ({"route": "fast_track"}, "route 'fast_track' is not one of"),
        ({"citations": []}, "'citations' must be a non-empty list"),
        ({"citations": [{"law": "X", "article": "1", "status": "maybe"}]},
         "status 'maybe' is not one of draft, verify"),
        ({"reason": "{facts.peoples} affected"}, "unknown field {facts.peoples}"),
        ({"deadline": {"minutes": 5}}, "'deadline' is a text"),
    ],
)
def test_bad_rules_fail_at_load_naming_file_and_code(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    rule = {**GOOD_RULE, **change}
    rule = {k: v for k, v in rule.items() if v is not None}
    path = _write(tmp_path, [rule])
    with pytest.raises(ConfigError) as info:
        load_rules_file(path)
    text = str(info.value)
    assert message in text
    assert str(path) in text
    if "code" not in change:
        assert "rule ZZ01" in text


def test_duplicate_codes_and_vocabulary_clash(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="defined twice: ZZ01"):
        load_rules_file(_write(tmp_path, [GOOD_RULE, GOOD_RULE]))
    with pytest.raises(ConfigError, match="PERSON_NAME is already a standard info type"):
        load_rules_file(_write(tmp_path, [], vocabulary=[{"id": "PERSON_NAME"}]))


def test_shipped_packs_load_with_unique_codes_and_citations() -> None:
    everything = load_all_rules()
    codes = everything.codes()
    assert len(codes) == len(set(codes))
    prefixes = {c[:2] for c in codes}
    assert {"XB", "PI", "FN", "AU", "BR"} <= prefixes
    for rule in everything.rules:
        assert rule.citations and all(c.law for c in rule.citations), rule.code
    # general rules always apply, a sector's add to them
    assert set(load_rules("general").codes()) < set(load_rules("automotive").codes())
    assert not any(c.startswith("AU") for c in load_rules("financial").codes())


def test_unsettled_sources_say_so_in_their_citation() -> None:
    rules = {r.code: r for r in load_all_rules().rules}
    for code in ("AU01", "AU02", "AU03"):  # TC260 April 2021 draft
        assert "(draft)" in rules[code].citation
    for code in ("FN01", "FN02"):  # JR/T 0223-2021 sub-clauses unconfirmed
        assert "(verify)" in rules[code].citation
    assert "(verify)" in rules["XB01"].citation  # exemptions for CIIOs
    assert rules["AU02"].params == {"max_days": 7}


def _cond(raw: Any) -> Any:
    return parse_condition(raw, "test", {"limit"})


FACTS: dict[str, Any] = {
    "facts.individuals": 100,
    "activity.retention_days": None,
    "activity.retention_needed_days": 30,
    "facts.info_types": ("PERSON_NAME", "VIN"),
    "processor.ciio": False,
    "exemption": None,
}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"gte": ["facts.individuals", 100]}, True),
        ({"gt": ["facts.individuals", 100]}, False),
        ({"between": ["facts.individuals", 100, 100]}, True),
        ({"between": ["facts.individuals", 101, 200]}, False),
        ({"lt": ["activity.retention_days", 10]}, False),  # unknown number: false
        ({"not": {"lt": ["activity.retention_days", 10]}}, True),
        ({"set": "activity.retention_days"}, False),
        ({"eq": ["exemption", None]}, True),
        ({"in": ["exemption", ["hr_management", None]]}, True),
        ({"contains_any": ["facts.info_types", ["VIN", "IMEI"]]}, True),
        ({"contains_any": ["facts.info_types", ["IMEI"]]}, False),
        ({True: "processor.ciio"}, False),  # YAML 1.1 reads `true:` as a boolean key
        ({False: "processor.ciio"}, True),
        ({"lte": ["facts.individuals", "$limit"]}, False),
        ({"lte": ["activity.retention_needed_days", {"fact": "facts.individuals"}]}, True),
        ({"any": [False, {"eq": ["facts.individuals", 100]}]}, True),
        ({"all": [True, {"ne": ["facts.individuals", 100]}]}, False),
    ],
)
def test_condition_semantics(raw: Any, expected: bool) -> None:
    assert evaluate(_cond(raw), FACTS, {"limit": 50}) is expected


def test_operator_set_is_closed_and_documented() -> None:
    doc = (Path(__file__).parents[1] / "docs" / "policy.md").read_text("utf-8")
    for op in OPERATORS:
        assert f"`{op}`" in doc, op
    for name in fact_specs():
        if not name.startswith("safeguards."):
            assert f"`{name}`" in doc, name


def test_activity_schema_is_valid_and_drives_the_safeguard_facts() -> None:
    Draft202012Validator.check_schema(activity_schema())
    assert {f"safeguards.{k}" for k in safeguard_keys()} <= set(fact_specs())
    assert "separate_consent" in safeguard_keys()
