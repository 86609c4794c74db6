"""Charts as inline SVG, drawn on the server in plain Python: nothing loads from elsewhere, no script runs
(the dashboard's CSP allows neither), and the page prints as it shows.

One kind for now: a count per week, stacked by category (how many calls answered "거르심" for the meal, how
many flags of each severity). Colours are SVG ``fill`` attributes, not styles, so the CSP's ``style-src``
does not apply; every element carries classes and ``data-`` attributes for tests and browsers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

# good answers green, worrying ones red, the rest in calm tones; a category names its tone
TONES = {
    "good": "#2b7a4b", "bad": "#b00020", "neutral": "#8a96a3", "critical": "#b00020", "high": "#d9480f",
    "medium": "#b08900", "low": "#2b7a4b",
}  # fmt: skip
PALETTE = ("#0b5cad", "#7b4fa0", "#138a8a", "#a0522d", "#5d6b7a", "#c2185b", "#6b8e23")


@dataclass(frozen=True)
class Category:
    key: str  # the code (data-value), e.g. "skipped"
    label: str  # its Korean name, for the legend
    counts: Sequence[int]  # one per week, oldest first
    tone: str | None = None  # a TONES key; None: the next palette colour


def weekly_stacked_bars(
    weeks: Sequence[str], categories: Sequence[Category], *, chart: str, title: str, data_name: str = "answer",
    width: int = 420, height: int = 170,
) -> Markup:
    """``weeks``: the x labels (e.g. "11/23"), oldest first; ``chart``: the value of ``data-{data_name}`` that
    names the chart (``svg.chart[data-answer=meal]``). An empty week draws no bar; a chart with no data says so."""
    left, right, top, bottom = 28, 8, 10, 42
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(c.counts[i] for c in categories) for i in range(len(weeks))]
    peak = max(totals, default=0)
    scale_max = max(peak, 1)
    slot = plot_w / max(len(weeks), 1)
    bar_w = slot * 0.62
    colours = _colours(categories)
    name = escape(chart)
    parts = [
        f'<svg class="chart" data-{data_name}="{name}" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<line class="axis" x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#b9c4cf"/>',
        f'<text class="tick" x="{left - 4}" y="{top + 8}" text-anchor="end" font-size="10" fill="#5d6b7a">{peak}</text>',
        f'<text class="tick" x="{left - 4}" y="{top + plot_h}" text-anchor="end" font-size="10" fill="#5d6b7a">0</text>',
    ]
    for i, week in enumerate(weeks):
        x = left + i * slot + (slot - bar_w) / 2
        parts.append(f'<g class="week" data-week="{escape(week)}" data-total="{totals[i]}">')
        y = top + plot_h
        for category, colour in zip(categories, colours, strict=True):
            count = category.counts[i]
            if not count:
                continue
            h = plot_h * count / scale_max
            y -= h
            parts.append(
                f'<rect class="seg" data-value="{escape(category.key)}" data-count="{count}" x="{x:.1f}" y="{y:.1f}" '
                f'width="{bar_w:.1f}" height="{h:.1f}" fill="{colour}"><title>{escape(week)} · '
                f"{escape(category.label)}: {count}</title></rect>"
            )
        parts.append(
            f'<text class="label" x="{x + bar_w / 2:.1f}" y="{top + plot_h + 13}" text-anchor="middle" font-size="10" '
            f'fill="#5d6b7a">{escape(week)}</text></g>'
        )
    legend_y, legend_x = height - 8, left
    for category, colour in zip(categories, colours, strict=True):
        parts.append(
            f'<g class="legend" data-value="{escape(category.key)}"><rect x="{legend_x}" y="{legend_y - 9}" width="10" '
            f'height="10" fill="{colour}"/><text x="{legend_x + 14}" y="{legend_y}" font-size="11" fill="#1d2733">'
            f"{escape(category.label)} {sum(category.counts)}</text></g>"
        )
        legend_x += 26 + 11 * len(category.label) + 7 * len(str(sum(category.counts)))
    if not peak:
        parts.append(
            f'<text class="no-data" x="{left + plot_w / 2:.1f}" y="{top + plot_h / 2:.1f}" text-anchor="middle" '
            f'font-size="12" fill="#5d6b7a">기록 없음</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _colours(categories: Sequence[Category]) -> list[str]:
    colours, spare = [], iter(PALETTE * (len(categories) // len(PALETTE) + 1))
    for category in categories:
        colours.append(TONES[category.tone] if category.tone in TONES else next(spare))
    return colours
