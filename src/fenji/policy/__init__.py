"""Life-cycle policy engine: an activity file plus facts -> a decision with citations.

``check(activity, facts_provider=None, today=None)`` is the entry point; rules live as data in
``fenji/packs/<sector>/rules.yaml``. See docs/policy.md.
"""

from fenji.policy.activity import (
    Activity,
    CatalogueData,
    DeclaredData,
    Processor,
    Recipient,
    load_activity,
    parse_activity,
)
from fenji.policy.engine import Decision, PolicyFinding, RuleSettings, check, render_reason
from fenji.policy.facts import FactsProvider, LedgerEntry, TableFacts, UnionEstimate
from fenji.policy.report import decision_to_dict
from fenji.policy.retention import rows_older_than
from fenji.policy.rules import Citation, Rule, RuleSet, load_all_rules, load_rules

__all__ = [
    "Activity",
    "CatalogueData",
    "Citation",
    "Decision",
    "DeclaredData",
    "FactsProvider",
    "LedgerEntry",
    "PolicyFinding",
    "Processor",
    "Recipient",
    "Rule",
    "RuleSet",
    "RuleSettings",
    "TableFacts",
    "UnionEstimate",
    "check",
    "decision_to_dict",
    "load_activity",
    "load_all_rules",
    "load_rules",
    "parse_activity",
    "render_reason",
    "rows_older_than",
]
