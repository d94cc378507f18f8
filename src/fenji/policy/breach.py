"""Breach clocks: when an incident notice is due.

Rules of kind ``incident`` carry a deadline: ``{hours: N}`` after detection (GDPR Art. 33: 72 h;
the 2025 CAC incident-reporting measures: 1, 2 or 4 h) or a text such as "immediately"
(PIPL Art. 57 sets no hour limit).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from fenji.policy.rules import Deadline


def deadline_at(deadline: Deadline, detected_at: datetime | None) -> str:
    """The deadline as an ISO 8601 timestamp in the detection time's own offset, or its text."""
    if deadline.hours is None or detected_at is None:
        return deadline.text or "unknown"
    return (detected_at + timedelta(hours=deadline.hours)).isoformat()
