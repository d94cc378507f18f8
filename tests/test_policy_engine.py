"""Engine behaviour beyond the YAML scenarios: the union hook, the ledger year, custom rule sets,
reason rendering and the JSON form of a decision."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from fenji.policy import (
    LedgerEntry,
    RuleSettings,
    TableFacts,
    check,
    decision_to_dict,
    load_rules,
    parse_activity,
    render_reason,
)
from fenji.policy.rules import load_rules_file, merge_rule_files

EXPORT: dict[str, Any] = {
    "processor": {"name": "Acme"},
    "activity": {
        "kind": "export",
        "legal_basis": "consent",
        "recipient": {"name": "Acme GmbH", "country": "DE", "role": "controller"},
        "data": [{"catalogue": "people"}],
        "safeguards": {"separate_consent": True, "pia_done": True},
    },
}


class Provider:
    def __init__(self, sketched: bool) -> None:
        s = b"sketch" if sketched else None
        self.people = TableFacts("people", ("PERSON_NAME",), 70000, sketch=s)
        self.ledger = [
            LedgerEntry(date(2026, 2, 1), "Acme GmbH", 50000, sketch=s),
            LedgerEntry(date(2026, 3, 1), "Acme Inc", 40000, sketch=s),
        ]
        self.years: list[int] = []

    def table_facts(self, name: str) -> TableFacts | None:
        return self.people if name == "people" else None

    def export_ledger(self, year: int) -> Sequence[LedgerEntry]:
        self.years.append(year)
        return self.ledger


def test_union_hook_receives_every_sketch_of_the_year() -> None:
    calls: list[int] = []

    def union(sketches: Sequence[bytes]) -> int:
        calls.append(len(sketches))
        return 95000  # overlapping people: fewer than the 160,000 summed

    provider = Provider(sketched=True)
    d = check(EXPORT, provider, date(2026, 6, 1), union_estimate=union)
    assert provider.years == [2026]
    assert calls == [3]  # this export's table and the two earlier exports
    assert d.facts["cumulative.individuals"] == 95000
    assert d.facts["cumulative.upper_bound"] is False
    assert d.route == "exempt"


def test_without_sketches_counts_are_summed_and_flagged() -> None:
    def union(sketches: Sequence[bytes]) -> int:
        raise AssertionError("no sketches to merge")

    d = check(EXPORT, Provider(sketched=False), date(2026, 6, 1), union_estimate=union)
    assert d.facts["cumulative.individuals"] == 160000
    assert d.route == "standard_contract_or_certification"
    xb04 = next(f for f in d.findings if f.code == "XB04")
    assert any("upper bound" in n for n in xb04.notes)


def test_ledger_is_only_read_for_exports() -> None:
    provider = Provider(sketched=False)
    use = {**EXPORT, "activity": {**EXPORT["activity"], "kind": "use", "recipient": None}}
    d = check(use, provider, date(2026, 6, 1))
    assert provider.years == []
    assert d.facts["cumulative.individuals"] == d.facts["facts.individuals"] == 70000


def test_custom_rules_and_rules_shipped_off(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump({"pack": "house", "rules": [{
        "code": "HO01", "text": "House rule: no exports on Fridays", "effect": "prohibition",
        "enabled": False, "citations": [{"law": "House policy", "article": "1"}],
        "when": {"eq": ["activity.kind", "export"]},
    }]}), "utf-8")
    rules = merge_rule_files("general", [load_rules("general"), load_rules_file(path)])
    act = parse_activity(EXPORT)
    provider = Provider(sketched=False)
    off = check(act, provider, date(2026, 6, 1), rules=rules)
    assert "HO01" not in {f.code for f in off.findings} and "HO01" in off.disabled
    on = check(act, provider, date(2026, 6, 1), rules=rules,
               settings=RuleSettings(enabled=frozenset({"HO01"})))
    assert on.verdict == "deny" and on.exit_code == 1


def test_reason_templates_render_unknowns_lists_and_numbers() -> None:
    values = {"facts.individuals": 1234567, "activity.legal_basis": None,
              "facts.info_types": ("PERSON_NAME", "VIN"), "processor.ciio": True}
    text = render_reason("{facts.individuals:,} people, basis {activity.legal_basis}, "
                         "types {facts.info_types}, CIIO {processor.ciio}, max {params.n}",
                         values, {"n": 7})
    assert text == "1,234,567 people, basis unknown, types PERSON_NAME, VIN, CIIO yes, max 7"


def test_decision_json_is_serialisable_and_complete() -> None:
    d = check(EXPORT, Provider(sketched=False), date(2026, 6, 1))
    doc = json.loads(json.dumps(decision_to_dict(d)))
    assert doc["today"] == "2026-06-01"
    assert doc["activity"]["data"] == ["catalogue:people"]
    assert doc["facts"]["facts.info_types"] == ["PERSON_NAME"]
    assert all(f["citations"] and f["citations"][0]["law"] for f in doc["findings"])
