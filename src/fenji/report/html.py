"""Self-contained HTML report: one offline file with inline CSS, inline SVG charts and a few
lines of vanilla JavaScript for filtering. Rendered with Jinja2, autoescape on, from the same
dict as the JSON contract so both always agree.
"""

from __future__ import annotations

import os
from collections import Counter
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from fenji.model import ScanResult
from fenji.report.charts import Bar, bar_chart, grade_colour
from fenji.report.contract import emit_text, to_contract

# A log can carry 100k findings; the HTML shows the first ones, the JSON keeps them all.
MAX_FINDINGS_SHOWN = 200
MAX_INFO_TYPE_BARS = 20


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("fenji.report", "templates"),
        autoescape=True,  # column, table and source names come from user data
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["grade_colour"] = grade_colour
    env.filters["num"] = _num
    env.filters["score"] = lambda v: "–" if v is None else f"{v:.2f}"
    env.tests["pi_column"] = lambda col: bool(col["info_types"]) or bool(col["sensitive"])
    return env


def _num(value: int | float | None) -> str:
    """Thousands separators; an en dash for unknown."""
    if value is None:
        return "–"
    return f"{value:,}" if isinstance(value, int) else f"{value:,.3g}"


def _grade_bars(grades: list[dict[str, Any]]) -> list[Bar]:
    counts = Counter(g["level"] for g in grades)
    rank = {g["level"]: g["rank"] for g in grades}
    order = sorted(counts, key=lambda lv: (rank[lv], lv))
    return [Bar(lv, counts[lv], grade_colour(lv)) for lv in order]


def _charts(doc: dict[str, Any]) -> dict[str, Markup]:
    tables = [t for s in doc["sources"] for t in s["tables"]]
    docs = [d for s in doc["sources"] for d in s["documents"]]
    columns = [c for t in tables for c in t["columns"]]
    col_grades = [c["grade"] for c in columns if c["grade"]]
    asset_grades = [a["grade"] for a in (*tables, *docs) if a["grade"]]
    places: Counter[str] = Counter()
    for col in columns:
        places.update({h["type"] for h in col["info_types"]})
    for d in docs:
        places.update({f["type"] for f in d["findings"]})
    info_bars = [Bar(t, n) for t, n in places.most_common(MAX_INFO_TYPE_BARS)]
    sensitive_bars = [
        Bar(s["uri"], sum(c["sensitive"] for t in s["tables"] for c in t["columns"]), "#c62828")
        for s in doc["sources"]
        if s["tables"]
    ]
    return {
        "column_grades": bar_chart("Columns by grade", _grade_bars(col_grades)),
        "asset_grades": bar_chart("Tables and documents by grade", _grade_bars(asset_grades)),
        "info_types": bar_chart("Info types: columns and documents where found", info_bars),
        "sensitive": bar_chart("Sensitive columns per source", sensitive_bars, keep_end=True),
    }


def render_html(result: ScanResult) -> str:
    """The whole report as one self-contained HTML document (UTF-8, no external resources)."""
    doc = to_contract(result)
    duration = (result.finished_at - result.started_at).total_seconds()
    return _environment().get_template("report.html.j2").render(
        doc=doc,
        summary=doc["summary"],
        charts=_charts(doc),
        duration=duration,
        max_findings=MAX_FINDINGS_SHOWN,
    )


def write_html(result: ScanResult, path: str | os.PathLike[str] | None = None) -> None:
    """Render the HTML report, then write it to ``path`` atomically (stdout when None)."""
    emit_text(render_html(result), path)
