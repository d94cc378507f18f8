"""One parametrised runner over the YAML scenario files in tests/data/policy/.

Each file has a ``base`` activity document and ``cases``; a case deep-merges ``activity`` over the
base (mappings merge, lists and scalars replace), removes the dotted paths in ``unset``, writes
the result to a file and runs ``fenji.policy.check`` on it. ``tables``/``ledger`` feed a
dict-backed FactsProvider (a real implementation of the protocol, with real HLL sketches).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from fenji.errors import ConfigError
from fenji.individuals import SketchBuilder
from fenji.policy import Decision, LedgerEntry, RuleSettings, TableFacts, check, load_all_rules

DATA = Path(__file__).parent / "data" / "policy"
CASE_KEYS = {"name", "activity", "unset", "today", "tables", "ledger", "settings", "expect"}
EXPECT_KEYS = {"verdict", "route", "exit_code", "findings", "absent", "deadlines", "facts",
               "facts_approx", "notes_contain", "notes_absent", "text_contains", "disabled",
               "error"}


def _load_cases() -> list[Any]:
    params = []
    for path in sorted(DATA.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text("utf-8"))
        for i, case in enumerate(doc["cases"]):
            params.append(pytest.param(doc["base"], case, id=f"{path.stem}[{i}] {case['name']}"))
    return params


CASES = _load_cases()


def _merge(base: Any, over: Any) -> Any:
    if isinstance(base, Mapping) and isinstance(over, Mapping):
        out = dict(base)
        for key, value in over.items():
            out[key] = _merge(base[key], value) if key in base else value
        return out
    return copy.deepcopy(over)


def _sketch(spec: Mapping[str, Any] | None) -> tuple[bytes | None, int]:
    if not spec:
        return None, 0
    lo, hi = spec["range"]
    builder = SketchBuilder()
    builder.update_ints(range(lo, hi))
    return builder.serialize(), hi - lo


@dataclass
class DictProvider:
    """FactsProvider over plain dicts, as the catalogue will provide them."""

    tables: Mapping[str, TableFacts]
    ledger: Sequence[LedgerEntry]

    def table_facts(self, name: str) -> TableFacts | None:
        return self.tables.get(name)

    def export_ledger(self, year: int) -> Sequence[LedgerEntry]:
        # deliberately returns every entry: the engine must filter by year itself
        return self.ledger


def _provider(case: Mapping[str, Any]) -> DictProvider | None:
    if "tables" not in case and "ledger" not in case:
        return None
    tables = {}
    for name, spec in (case.get("tables") or {}).items():
        sketch, n = _sketch(spec.get("sketch"))
        ssketch, _ = _sketch(spec.get("sensitive_sketch"))
        tables[name] = TableFacts(
            name=name,
            info_types=tuple(spec.get("info_types", ())),
            individuals=spec.get("individuals", n),
            sensitive_individuals=spec.get("sensitive_individuals", 0),
            minors_under_14=spec.get("minors_under_14", 0),
            important_data=spec.get("important_data", False),
            level=spec.get("level"),
            sketch=sketch,
            sensitive_sketch=ssketch,
        )
    ledger = []
    for spec in case.get("ledger") or []:
        sketch, n = _sketch(spec.get("sketch"))
        ledger.append(LedgerEntry(
            date=spec["date"],
            recipient=spec["recipient"],
            individuals=spec.get("individuals", n),
            sensitive_individuals=spec.get("sensitive_individuals", 0),
            sketch=sketch,
        ))
    return DictProvider(tables, ledger)


def _settings(raw: Mapping[str, Any] | None) -> RuleSettings | None:
    if not raw:
        return None
    return RuleSettings(disabled=frozenset(raw.get("disable", ())),
                        enabled=frozenset(raw.get("enable", ())),
                        params=raw.get("params", {}))


def _unset(doc: dict[str, Any], dotted: str) -> None:
    *parents, last = dotted.split(".")
    node = doc
    for key in parents:
        node = node[key]
    del node[last]


def run_case(base: Mapping[str, Any], case: Mapping[str, Any], tmp_path: Path) -> Decision:
    doc = _merge(copy.deepcopy(base), case.get("activity", {}))
    for dotted in case.get("unset", ()):
        _unset(doc, dotted)
    path = tmp_path / "activity.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")
    return check(path, _provider(case), case.get("today", date(2026, 5, 1)),
                 settings=_settings(case.get("settings")))


@pytest.mark.parametrize(("base", "case"), CASES)
def test_scenario(base: Mapping[str, Any], case: Mapping[str, Any], tmp_path: Path) -> None:
    assert set(case) <= CASE_KEYS, f"unknown case keys {set(case) - CASE_KEYS}"
    expect = case["expect"]
    assert set(expect) <= EXPECT_KEYS, f"unknown expect keys {set(expect) - EXPECT_KEYS}"
    if "error" in expect:
        with pytest.raises(ConfigError) as info:
            run_case(base, case, tmp_path)
        message = str(info.value)
        for part in expect["error"]:
            assert part in message
        if not message.startswith("--"):
            assert str(tmp_path / "activity.yaml") in message  # errors name the file
        return
    d = run_case(base, case, tmp_path)
    found = {f.code: f for f in d.findings}
    for key in ("verdict", "route", "exit_code"):
        if key in expect:
            assert getattr(d, key) == expect[key], f"{key}: {getattr(d, key)} ({sorted(found)})"
    for code, met in (expect.get("findings") or {}).items():
        assert code in found, f"{code} missing; findings: {sorted(found)}"
        assert found[code].met is met, f"{code}: {found[code].text}"
    for code in expect.get("absent", ()):
        assert code not in found, f"{code} should not apply: {found[code].text}"
    for code, due in (expect.get("deadlines") or {}).items():
        assert found[code].deadline == due
    for name, value in (expect.get("facts") or {}).items():
        got = d.facts[name]
        assert (list(got) if isinstance(got, tuple) else got) == value, name
    for name, (lo, hi) in (expect.get("facts_approx") or {}).items():
        value = d.facts[name]
        assert isinstance(value, int) and lo <= value <= hi, f"{name}={value}"
    notes = " | ".join(d.notes + tuple(n for f in d.findings for n in f.notes))
    for part in expect.get("notes_contain", ()):
        assert part in notes
    for part in expect.get("notes_absent", ()):
        assert part not in notes
    for code, part in (expect.get("text_contains") or {}).items():
        assert part in found[code].text
    if "disabled" in expect:
        assert list(d.disabled) == expect["disabled"]
    # invariants every decision keeps
    assert d.exit_code == (1 if d.verdict == "deny" or not all(f.met for f in found.values())
                           else 0)
    assert (d.route is not None) == (d.kind == "export")


def test_every_rule_has_a_passing_and_a_failing_scenario() -> None:
    """Obligations: met and unmet; prohibitions: violated and allowed (or not applying);
    notices: applying and not applying."""
    met: dict[str, set[bool]] = {}
    absent: set[str] = set()
    for param in CASES:
        _, case = param.values
        expect = case["expect"]
        for code, value in (expect.get("findings") or {}).items():
            met.setdefault(code, set()).add(value)
        absent.update(expect.get("absent", ()))
    missing = []
    for rule in load_all_rules().rules:
        seen = met.get(rule.code, set())
        if rule.effect == "notice":
            ok = True in seen and rule.code in absent
        elif rule.met is None:  # a prohibition without exception
            ok = False in seen and rule.code in absent
        else:
            ok = seen == {True, False}
        if not ok:
            missing.append(rule.code)
    assert not missing, f"rules without a passing and a failing scenario: {missing}"
