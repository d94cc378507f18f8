"""Decisions as plain JSON-ready dicts (``fenji check --format json``)."""

from __future__ import annotations

from typing import Any

from fenji import __version__
from fenji.policy.engine import Decision, PolicyFinding


def finding_to_dict(f: PolicyFinding) -> dict[str, Any]:
    """One finding: code, reason, met, effect, citation(s), facts used, route, deadline."""
    return {
        "code": f.code,
        "text": f.text,
        "met": f.met,
        "effect": f.effect,
        "citation": f.citation,
        "citations": [{"law": c.law, "article": c.article, "status": c.status or None}
                      for c in f.citations],
        "route": f.route,
        "deadline": f.deadline,
        "facts": {name: _jsonable(value) for name, value in f.facts},
        "notes": list(f.notes),
    }


def decision_to_dict(d: Decision) -> dict[str, Any]:
    """The whole decision; keys are stable, new keys may be added."""
    return {
        "tool": {"name": "fenji", "version": __version__},
        "activity": {"source": d.source, "kind": d.kind, "sector": d.sector,
                     "data": list(d.data)},
        "verdict": d.verdict,
        "route": d.route,
        "exit_code": d.exit_code,
        "today": d.today.isoformat(),
        "findings": [finding_to_dict(f) for f in d.findings],
        "facts": {k: _jsonable(v) for k, v in d.facts.items()},
        "notes": list(d.notes),
        "disabled_rules": list(d.disabled),
    }


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value
