"""Incident clocks at a given time, from the policy rules, and the Art. 57 notice draft."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from jinja2 import Environment, StrictUndefined

from fenji.policy import check
from fenji.policy.conditions import facts_used
from fenji.policy.rules import load_rules
from fenji.records.config import section
from fenji.records.db import Target, from_db, now, to_db
from fenji.records.incidents import (
    Affected,
    Clock,
    Incident,
    IncidentStatus,
    affected,
    get_incident,
)


def _activity(inc: Incident, aff: Affected, at: datetime) -> dict[str, Any]:
    done = section("incidents")["safeguards"]
    safeguards = {name: _done(getattr(inc, attr), at) is not None for name, attr in done.items()}
    declared = {"info_types": list(aff.categories), "individuals": aff.individuals or 0,
                "sensitive_individuals": aff.sensitive_individuals or 0,
                "minors_under_14": aff.minors_under_14 or 0}
    return {
        "processor": {k: inc.processor[k] for k in ("name", "ciio", "state_organ", "gdpr")
                      if k in inc.processor},
        "activity": {"kind": "incident", "detected_at": inc.detected_at.isoformat(),
                     "data": [{"declared": declared}] if aff.categories else [],
                     "safeguards": safeguards},
    }


def _done(value: datetime | None, at: datetime) -> datetime | None:
    """A notice time counts only when it is not after the time asked about."""
    return value if value is not None and value <= at else None


def _state(done_at: datetime | None, deadline: datetime | None, at: datetime, text: str) -> str:
    if done_at is not None:
        return "late" if deadline is not None and done_at > deadline else "done"
    if deadline is None:
        return "pending" if "after handling" in text else "now"
    return "overdue" if at > deadline else "due"


def incident_status(target: Target, incident_id: int, at: datetime | None = None
                    ) -> IncidentStatus:
    """The incident, who it affects, and each notice clock at ``at`` (default now)."""
    when = from_db(to_db(at or now())) or now()
    inc = get_incident(target, incident_id)
    aff = affected(target, inc)
    cfg = section("incidents")
    decision = check(_activity(inc, aff, when))
    rules = load_rules(decision.sector)
    clocks: list[Clock] = []
    for f in decision.findings:
        rule = rules.get(f.code)
        attrs = [cfg["safeguards"][name.split(".", 1)[1]]
                 for name in (facts_used(rule.met) if rule.met is not None else ())
                 if name.startswith("safeguards.")
                 and name.split(".", 1)[1] in cfg["safeguards"]]
        times = [_done(getattr(inc, a), when) for a in attrs]
        done_at = max(times) if attrs and all(t is not None for t in times) else None  # type: ignore[type-var]
        deadline = _deadline(f.deadline, f.code, inc, cfg["after_handling"])
        text = f.deadline or ""
        clocks.append(Clock(f.code, f.text, f.citation, _state(done_at, deadline, when, text),
                            deadline, text, done_at))
    warnings = [f"{c.code} overdue since {c.deadline:%Y-%m-%d %H:%M} UTC: {c.text} ({c.citation})"
                for c in clocks if c.state == "overdue" and c.deadline is not None]
    warnings += [f"{c.code} due {c.deadline_text}: {c.text} ({c.citation})"
                 for c in clocks if c.state == "now"]
    return IncidentStatus(inc, aff, tuple(clocks), when, tuple(warnings) + aff.notes)


def _deadline(text: str | None, code: str, inc: Incident,
              after_handling: Mapping[str, Any]) -> datetime | None:
    if text:
        try:
            return from_db(to_db(datetime.fromisoformat(text)))
        except ValueError:
            pass
    spec = after_handling.get(code)
    if spec and inc.handling_ended_at is not None:
        return inc.handling_ended_at + timedelta(days=int(spec["days"]))
    return None


_NOTICE = """\
# 个人信息安全事件告知（草稿） / Personal information incident notice (draft)

Basis: {{ citation }} — to the authority and to the individuals. Review before sending.

- Incident: #{{ inc.id }} {{ inc.title }} ({{ inc.kind }})
- Detected: {{ inc.detected_at.strftime('%Y-%m-%d %H:%M') }} UTC
{%- if inc.occurred_at %}
- Occurred: {{ inc.occurred_at.strftime('%Y-%m-%d %H:%M') }} UTC
{%- endif %}

## 1. Personal information concerned (发生或者可能发生泄露、篡改、丢失的个人信息种类)
{% for c in categories %}- {{ c }}
{% else %}- [to be completed]
{% endfor %}
{%- if people %}
People affected: {{ people }}
{%- endif %}

## 2. Cause (原因)
{{ inc.cause or '[to be completed]' }}

## 3. Possible harm (可能造成的危害)
{{ inc.harm or '[to be completed]' }}

## 4. Remedial measures taken (已采取的补救措施)
{{ inc.remedies or '[to be completed]' }}

## 5. What you can do to reduce the harm (个人可以采取的减轻危害的措施)
{{ inc.advice or '[to be completed]' }}

## 6. Contact (个人信息处理者的联系方式)
{{ inc.contact or '[to be completed]' }}
"""


def notice_draft(status: IncidentStatus) -> str:
    """The notice PIPL Art. 57 requires, as Markdown, with gaps marked ``[to be completed]``."""
    from fenji.infotypes import INFO_TYPES

    cats = [f"{INFO_TYPES[c].zh} / {INFO_TYPES[c].en} ({c})" if c in INFO_TYPES else c
            for c in status.affected.categories]
    aff = status.affected
    people = f"about {aff.individuals:,}" if aff.individuals is not None else ""
    if people and aff.sensitive_individuals:
        people += f" (sensitive PI: about {aff.sensitive_individuals:,})"
    env = Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
    return env.from_string(_NOTICE).render(
        inc=status.incident, people=people, categories=cats,
        citation=section("incidents")["notice_citation"],
    )
