"""Grade colours and small inline-SVG bar charts for the HTML report.

Hand-written on purpose: the report must be one offline file, and charting libraries either pull
JavaScript from a CDN or weigh megabytes. A horizontal bar chart is a few rectangles. Every label
is escaped here because it can come from user data (source URIs, table names).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

# One palette for HTML and console so a level looks the same everywhere. Levels of different
# schemes that mean roughly the same harm share a colour (general-1 ~ L1 ... important ~ L5).
GRADE_COLOURS: dict[str, str] = {
    "general-1": "#2e7d32",
    "general-2": "#827717",
    "general-3": "#e65100",
    "general-4": "#c62828",
    "important": "#6a1b9a",
    "core": "#212121",
    "L1": "#2e7d32",
    "L2": "#827717",
    "L3": "#e65100",
    "L4": "#c62828",
    "L5": "#6a1b9a",
}
UNGRADED_COLOUR = "#607d8b"
BAR_COLOUR = "#1565c0"


def grade_colour(level: str | None) -> str:
    """Hex colour of a level id (grey for unknown or missing levels)."""
    return GRADE_COLOURS.get(level or "", UNGRADED_COLOUR)


def grade_style(level: str | None) -> str:
    """Rich style for a level: white text on the level's colour, readable on any background."""
    return f"bold #ffffff on {grade_colour(level)}"


@dataclass(frozen=True)
class Bar:
    """One bar: its label, value and fill colour."""

    label: str
    value: int
    colour: str = BAR_COLOUR


def display_width(text: str) -> int:
    """Columns a string takes: East Asian wide/full-width characters count double."""
    return sum(_width(ch) for ch in text)


def _width(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in "WF" else 1


def truncate(text: str, width: int, *, keep_end: bool = False) -> str:
    """Cut ``text`` to at most ``width`` display columns with an ellipsis where it was cut.

    ``keep_end`` keeps the tail instead (useful for paths, whose file name is at the end).

    >>> truncate("身份证号码", 6)
    '身份…'
    >>> truncate("data/exports/people.csv", 12, keep_end=True)
    '…/people.csv'
    """
    if display_width(text) <= width:
        return text
    chars = reversed(text) if keep_end else iter(text)
    out: list[str] = []
    used = 0
    for ch in chars:
        if used + _width(ch) > width - 1:
            break
        out.append(ch)
        used += _width(ch)
    return "…" + "".join(reversed(out)) if keep_end else "".join(out) + "…"


def bar_chart(
    title: str,
    bars: Sequence[Bar],
    *,
    width: int = 640,
    label_cols: int = 28,
    keep_end: bool = False,
) -> Markup:
    """A horizontal bar chart as an inline ``<svg>`` (no namespace needed inside HTML5).

    Labels longer than ``label_cols`` display columns are cut; the full label and value are in a
    ``<title>`` tooltip. An empty ``bars`` gives a short "nothing to chart" note instead.
    """
    if not bars:
        return Markup('<p class="empty">{}: nothing to chart.</p>').format(title)
    row_h, pad, label_w = 24, 6, label_cols * 7 + 10
    value_w = 60
    bar_space = max(width - label_w - value_w, 40)
    top = max(b.value for b in bars) or 1
    height = len(bars) * row_h + pad * 2
    parts = [
        Markup(
            '<svg class="chart" role="img" aria-label="{t}" width="{w}" height="{h}" '
            'viewBox="0 0 {w} {h}"><title>{t}</title>'
        ).format(t=title, w=width, h=height)
    ]
    for i, bar in enumerate(bars):
        y = pad + i * row_h
        bw = round(bar_space * bar.value / top, 1)
        parts.append(
            Markup(
                '<g><title>{full}: {v}</title>'
                '<text x="{lx}" y="{ty}" text-anchor="end" class="label">{label}</text>'
                '<rect x="{bx}" y="{ry}" width="{bw}" height="{rh}" rx="3" fill="{c}"></rect>'
                '<text x="{vx}" y="{ty}" class="value">{v}</text></g>'
            ).format(
                full=bar.label,
                v=bar.value,
                lx=label_w - 8,
                ty=y + row_h / 2 + 4,
                label=truncate(bar.label, label_cols, keep_end=keep_end),
                bx=label_w,
                ry=y + 3,
                bw=bw,
                rh=row_h - 6,
                c=_colour(bar.colour),
                vx=label_w + bw + 6,
            )
        )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def _colour(value: str) -> str:
    """Only hex colours reach the SVG fill attribute (escape() alone would allow `url(...)`)."""
    ok = value.startswith("#") and len(value) in (4, 7)
    ok = ok and all(c in "0123456789abcdefABCDEF" for c in value[1:])
    return value if ok else BAR_COLOUR


__all__ = [
    "BAR_COLOUR",
    "GRADE_COLOURS",
    "UNGRADED_COLOUR",
    "Bar",
    "bar_chart",
    "display_width",
    "grade_colour",
    "grade_style",
    "truncate",
]
