"""The HTML report: self-contained, escaped, charts present, masked samples only."""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from fenji.model import SourceProfile, TextFinding
from fenji.report import GRADE_COLOURS, render_html, write_html
from fenji.report.charts import Bar, bar_chart, truncate
from fenji.report.html import MAX_FINDINGS_SHOWN
from test_report_fixtures import HOSTILE, RAW_VALUES, app_log, make_result


class _Tags(HTMLParser):
    """Collects start tags with their attributes and checks nesting of the elements we open."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


@pytest.fixture(scope="module")
def html() -> str:
    return render_html(make_result())


def tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def test_self_contained_offline(html: str) -> None:
    assert "http://" not in html and "https://" not in html
    assert "<link" not in html and "@import" not in html and "url(" not in html
    for tag, attrs in tags(html):
        assert "src" not in attrs and "href" not in attrs, tag
    scripts = [t for t, _ in tags(html) if t == "script"]
    assert scripts == ["script"]  # our one inline script, nothing else
    assert '<meta charset="utf-8">' in html
    assert "default-src 'none'" in html  # CSP: the browser loads nothing external


def test_header_and_summary_cards(html: str) -> None:
    assert "2025-03-01T09:00:00+00:00" in html
    assert "general" in html and "gbt35273-2020" in html
    for label in ("sources", "tables", "PI columns", "sensitive columns", "highest grade",
                  "max individuals"):
        assert label in html
    assert "2,987" in html  # max individuals, formatted


def test_charts_rendered_as_inline_svg(html: str) -> None:
    svgs = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    assert len(svgs) == 4
    for svg in svgs:
        ET.fromstring(svg)  # well-formed
    assert "Columns by grade" in html and "Sensitive columns per source" in html
    grade_chart = next(s for s in svgs if "Columns by grade" in s)
    assert GRADE_COLOURS["general-4"] in grade_chart and ">general-3<" in grade_chart


def test_hostile_names_are_escaped() -> None:
    result = make_result()
    hostile_src = replace(result.sources[0], uri=f"data/{HOSTILE}.csv")
    result = replace(result, sources=(hostile_src, *result.sources[1:]))
    html = render_html(result)
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert [t for t, _ in tags(html) if t == "script"] == ["script"]


def test_drill_down_shows_details(html: str) -> None:
    for text in ("身份证号", "CN_RESIDENT_ID", "991/1,000", "cn_resident_id", "name_hint=sfzh",
                 "personal.identity", "PIPL Art. 28", "public.customers", "✓"):
        assert text in html, text
    assert html.count("<details") >= 3  # two tables and one document


def test_masked_samples_shown_raw_values_never(html: str) -> None:
    assert "110***********4514" in html and "138****8000" in html
    for raw in RAW_VALUES:
        assert raw not in html


def test_errors_warnings_and_documents(html: str) -> None:
    assert "not a valid workbook" in html
    assert "row count estimated from database statistics" in html
    assert "app.log" in html and "300–318" in html


def test_grade_badges_use_palette(html: str) -> None:
    badges = re.findall(r'class="badge" style="background:(#[0-9a-f]{6})"[^>]*>([^<]+)<', html)
    assert badges
    for colour, level in badges:
        assert GRADE_COLOURS[level] == colour


def test_long_documents_are_capped() -> None:
    many = tuple(TextFinding("EMAIL_ADDRESS", i * 10, i * 10 + 5, 0.9, "a***@b.cn")
                 for i in range(MAX_FINDINGS_SHOWN + 50))
    src = SourceProfile("big.log", "text", documents=(replace(app_log(), findings=many),))
    html = render_html(replace(make_result(), sources=(src,)))
    assert html.count("a***@b.cn") == MAX_FINDINGS_SHOWN
    assert "50 more findings" in html


def test_write_html_atomic(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    write_html(make_result(), out)
    assert out.read_text("utf-8") == render_html(make_result())
    assert os.listdir(tmp_path) == ["report.html"]


def test_bar_chart_scales_bars_and_escapes() -> None:
    svg = bar_chart("t", [Bar("a", 10), Bar(HOSTILE, 5, "url(#x)"), Bar("c", 0)], width=400)
    root = ET.fromstring(str(svg))
    widths = [float(r.get("width", "0")) for r in root.iter("rect")]
    assert widths[0] == 2 * widths[1] and widths[2] == 0
    fills = {r.get("fill") for r in root.iter("rect")}
    assert all(f is not None and f.startswith("#") for f in fills)  # no url(...) fills
    assert HOSTILE not in str(svg)
    assert "nothing to chart" in bar_chart("empty", [])


def test_truncate_counts_wide_characters() -> None:
    assert truncate("people", 10) == "people"
    assert truncate("身份证号码", 6) == "身份…"
    assert truncate("data/exports/people.csv", 12, keep_end=True).endswith("people.csv")
