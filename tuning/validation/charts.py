"""An SVG histogram of example lengths in tokens, with the model's context limit drawn on it.

Lengths run from a few tokens to tens of thousands, so the x axis is logarithmic (bins from
stats.LengthBins); bars past the limit are drawn in another colour. The SVG is standalone and
accessible (role="img", a title and a description a screen reader reads); every text that comes
from the user (the file name) is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from tuning.validation.report import ValidationReport

__all__ = ["render_length_histogram"]

WIDTH, HEIGHT = 720, 360
LEFT, RIGHT, TOP, BOTTOM = 64, 24, 56, 56
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
WITHIN, OVER, LIMIT, INK, GRID = "#4c78a8", "#e45756", "#b22222", "#333333", "#dddddd"


def render_length_histogram(report: ValidationReport | Mapping[str, Any]) -> str:
    """The histogram of a validation report (the object or its `to_dict()` form) as SVG text."""
    document = report.to_dict() if isinstance(report, ValidationReport) else report
    bins = document["length_histogram"]
    edges: Sequence[int] = bins["edges"]
    counts: Sequence[int] = bins["counts"]
    limit = int(document["estimate"]["context_limit"])
    title = f"Example lengths in tokens: {document.get('file', '')}"
    summary = _description(document, sum(counts), limit)
    scale = _Scale(edges[0], edges[-1], max(counts, default=0))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="title desc" '
        'font-family="sans-serif" font-size="12">',
        f'<title id="title">{escape(title)}</title>',
        f'<desc id="desc">{escape(summary)}</desc>',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{LEFT}" y="24" font-size="15" fill="{INK}">{escape(title)}</text>',
        f'<text x="{LEFT}" y="42" fill="{INK}">{escape(summary)}</text>',
        *_axes(scale),
        *_bars(scale, edges, counts, limit),
        *_limit_line(scale, limit),
        "</svg>",
    ]
    return "\n".join(parts) + "\n"


class _Scale:
    """Maps token counts (log scale) and example counts (linear) to SVG coordinates."""

    def __init__(self, low: int, high: int, tallest: int) -> None:
        self.low, self.high = math.log10(max(low, 1)), math.log10(max(high, 2))
        self.tallest = max(tallest, 1)

    def x(self, tokens: float) -> float:
        share = (math.log10(max(tokens, 1)) - self.low) / (self.high - self.low)
        return round(LEFT + PLOT_W * min(max(share, 0.0), 1.0), 2)

    def y(self, examples: float) -> float:
        return round(TOP + PLOT_H * (1 - examples / self.tallest), 2)


def _description(document: Mapping[str, Any], examples: int, limit: int) -> str:
    if not examples:
        return f"No example could be counted. Context limit {limit:,} tokens."
    total = (document.get("tokens") or {}).get("total") or {}
    median, longest = total.get("median"), total.get("max")
    typical = "" if median is None else f"median {median:,.0f} tokens, longest valid {longest:,} tokens; "
    over = document.get("over_limit") or 0
    return f"{examples:,} examples counted; {typical}context limit {limit:,} tokens, {over:,} over it."


def _axes(scale: _Scale) -> list[str]:
    bottom = TOP + PLOT_H
    lines = [
        f'<line x1="{LEFT}" y1="{bottom}" x2="{LEFT + PLOT_W}" y2="{bottom}" stroke="{INK}"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{bottom}" stroke="{INK}"/>',
        f'<text x="{LEFT + PLOT_W / 2}" y="{HEIGHT - 12}" text-anchor="middle" fill="{INK}">'
        "tokens per example (log scale)</text>",
        f'<text x="16" y="{TOP + PLOT_H / 2}" text-anchor="middle" fill="{INK}" '
        f'transform="rotate(-90 16 {TOP + PLOT_H / 2})">examples</text>',
    ]
    power = 0
    while 10**power <= 10**scale.high:
        x = scale.x(10**power)
        if 10**power >= 10**scale.low:
            label = f"{10**power:,}"
            lines.append(f'<line x1="{x}" y1="{bottom}" x2="{x}" y2="{bottom + 5}" stroke="{INK}"/>')
            lines.append(f'<text x="{x}" y="{bottom + 18}" text-anchor="middle" fill="{INK}">{label}</text>')
        power += 1
    for share in (0.0, 0.5, 1.0):
        value = scale.tallest * share
        y = scale.y(value)
        lines.append(f'<line x1="{LEFT}" y1="{y}" x2="{LEFT + PLOT_W}" y2="{y}" stroke="{GRID}"/>')
        lines.append(f'<text x="{LEFT - 6}" y="{y + 4}" text-anchor="end" fill="{INK}">{value:,.0f}</text>')
    return lines


def _bars(scale: _Scale, edges: Sequence[int], counts: Sequence[int], limit: int) -> list[str]:
    bars = []
    for low, high, count in zip(edges, edges[1:], counts, strict=False):
        if not count:
            continue
        x, right, y = scale.x(low), scale.x(high), scale.y(count)
        colour = OVER if low > limit else WITHIN
        label = f"{low:,} to {high - 1:,} tokens: {count:,} examples"
        bars.append(
            f'<rect x="{x}" y="{y}" width="{max(right - x - 1, 1)}" height="{round(TOP + PLOT_H - y, 2)}" '
            f'fill="{colour}"><title>{escape(label)}</title></rect>'
        )
    return bars


def _limit_line(scale: _Scale, limit: int) -> list[str]:
    x = scale.x(limit + 1)
    return [
        f'<line x1="{x}" y1="{TOP - 4}" x2="{x}" y2="{TOP + PLOT_H}" stroke="{LIMIT}" stroke-width="2" '
        'stroke-dasharray="6 4"/>',
        f'<text x="{x - 4}" y="{TOP + 12}" text-anchor="end" fill="{LIMIT}">context limit {limit:,}</text>',
    ]
