"""The shipped examples give exactly the decisions docs/policy.md documents, and the docs list
every rule code with its citation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fenji.errors import FenjiError
from fenji.policy import check, load_all_rules

ROOT = Path(__file__).parents[1]
DOC = (ROOT / "docs" / "policy.md").read_text("utf-8")
ROW = re.compile(r"^\| `(examples/[^`]+)` \| (\S+) \| (\S+) \| (\d) \| ([^|]+) \|$", re.M)
DOCUMENTED = {m.group(1): m.groups()[1:] for m in ROW.finditer(DOC)}


def test_every_example_is_documented() -> None:
    shipped = {f"examples/{p.name}" for p in (ROOT / "examples").glob("*.yaml")}
    assert shipped and shipped == set(DOCUMENTED)


@pytest.mark.parametrize("example", sorted(DOCUMENTED))
def test_example_gives_the_documented_decision(example: str) -> None:
    verdict, route, exit_code, unmet = DOCUMENTED[example]
    if verdict == "error":
        with pytest.raises(FenjiError) as info:
            check(ROOT / example)
        assert info.value.exit_code == int(exit_code) == 2
        return
    d = check(ROOT / example)
    assert d.verdict == verdict
    assert (d.route or "—") == route
    assert d.exit_code == int(exit_code)
    assert (", ".join(f.code for f in d.findings if not f.met) or "—") == unmet.strip()


def test_incident_example_deadlines_match_the_docs() -> None:
    d = check(ROOT / "examples" / "incident_leak.yaml")
    for f in d.findings:
        assert f.deadline and f"`{f.deadline}` ({f.code})" in DOC.replace("\n", " ")


def test_docs_list_every_rule_with_its_citation() -> None:
    for r in load_all_rules().rules:
        row = f"| `{r.code}` | {r.pack} | {r.effect} | {r.text} | {r.citation} |"
        assert row in DOC, r.code
