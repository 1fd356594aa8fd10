"""evaluation.svg: one group of bars per grader (baseline first, then each candidate), each bar a
model's mean score with a whisker for its 95% bootstrap interval, on a fixed 0-1 axis so charts of
different runs compare at a glance.

Hand-written SVG like the loss chart: no plotting library in the function app, and the output is
byte-for-byte deterministic. Every text is XML-escaped and stripped of the control characters XML
forbids, so any label yields a well-formed document.
"""

from __future__ import annotations

import html
import re

from tuning.evaluation.report import EvaluationReport
from tuning.evaluation.statistics import ModelScore

__all__ = ["render_evaluation_svg"]

_HEIGHT, _LEFT, _RIGHT, _TOP, _BOTTOM = 380, 56, 24, 64, 56
_BAR, _GAP, _MIN_WIDTH = 26, 36, 480
_BASELINE_COLOUR = "#9e9e9e"
_CANDIDATE_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2")
_FONT = 'font-family="sans-serif"'
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _escape(text: str) -> str:
    return html.escape(_XML_FORBIDDEN.sub("", text), quote=True)


def _y(value: float) -> float:
    """Pixel row of a score in [0, 1]; values outside are clamped so a bar never leaves the frame."""
    return _HEIGHT - _BOTTOM - max(0.0, min(1.0, value)) * (_HEIGHT - _TOP - _BOTTOM)


def render_evaluation_svg(report: EvaluationReport, title: str = "Evaluation: mean score per grader") -> str:
    """The chart as a standalone SVG document."""
    labels = [model.label for model in report.models if model.role == "baseline"]
    labels += [model.label for model in report.models if model.role == "candidate"]
    colours = dict(zip(labels, _colours(report), strict=True))
    group = len(labels) * _BAR + _GAP
    width = max(_MIN_WIDTH, _LEFT + _RIGHT + group * len(report.graders))
    margin = _LEFT + (width - _LEFT - _RIGHT - group * len(report.graders)) / 2  # groups centred
    parts = [*_axis(width)]
    for position, summary in enumerate(report.graders):
        left = margin + _GAP / 2 + position * group
        scores = [summary.baseline] if summary.baseline else []
        scores += list(summary.candidates)
        for offset, score in enumerate(scores):
            parts += _bar(left + offset * _BAR, score, colours.get(score.model, _BASELINE_COLOUR))
        name = summary.grader + (" (primary)" if summary.grader == report.options.primary else "")
        parts.append(
            f'<text x="{left + len(scores) * _BAR / 2:.2f}" y="{_HEIGHT - _BOTTOM + 18}" {_FONT} '
            f'font-size="12" text-anchor="middle">{_escape(name)}</text>'
        )
    legend = [(report.display_name(label), colours[label]) for label in labels]
    parts += _legend(legend, width)
    escaped = _escape(title)
    return "\n".join(
        [
            '<?xml version="1.0" encoding="UTF-8"?>',
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{_HEIGHT}" '
            f'viewBox="0 0 {width} {_HEIGHT}" role="img">',
            f"<title>{escaped}</title>",
            f'<rect width="{width}" height="{_HEIGHT}" fill="#ffffff"/>',
            f'<text x="{width / 2}" y="24" {_FONT} font-size="16" text-anchor="middle">{escaped}</text>',
            *parts,
            "</svg>",
            "",
        ]
    )


def _colours(report: EvaluationReport) -> list[str]:
    has_baseline = any(model.role == "baseline" for model in report.models)
    candidates = sum(model.role == "candidate" for model in report.models)
    cycle = [_CANDIDATE_COLOURS[index % len(_CANDIDATE_COLOURS)] for index in range(candidates)]
    return [_BASELINE_COLOUR, *cycle] if has_baseline else cycle


def _axis(width: int) -> list[str]:
    """Grid lines and labels at 0, 0.2, ..., 1, and the axis lines."""
    parts = []
    for tenth in range(0, 11, 2):
        row = _y(tenth / 10)
        parts.append(
            f'<line x1="{_LEFT}" y1="{row:.2f}" x2="{width - _RIGHT}" y2="{row:.2f}" stroke="#e5e5e5"/>'
        )
        parts.append(
            f'<text x="{_LEFT - 6}" y="{row:.2f}" {_FONT} font-size="11" text-anchor="end" '
            f'dominant-baseline="middle">{tenth / 10:.1f}</text>'
        )
    bottom = _y(0)
    parts.append(
        f'<polyline points="{_LEFT},{_TOP} {_LEFT},{bottom:.2f} {width - _RIGHT},{bottom:.2f}" '
        f'fill="none" stroke="#333333"/>'
    )
    middle = (_TOP + bottom) / 2
    parts.append(
        f'<text x="16" y="{middle:.2f}" {_FONT} font-size="12" text-anchor="middle" '
        f'transform="rotate(-90 16 {middle:.2f})">Mean score</text>'
    )
    return parts


def _bar(left: float, score: ModelScore, colour: str) -> list[str]:
    """A bar of the mean, a whisker from the interval's low to its high, and the value above it."""
    top, bottom = _y(score.mean), _y(0)
    centre = left + _BAR / 2
    low, high = _y(score.interval.low), _y(score.interval.high)
    series = _escape(score.model)
    return [
        f'<rect data-model="{series}" x="{left + 2:.2f}" y="{top:.2f}" width="{_BAR - 4}" '
        f'height="{bottom - top:.2f}" fill="{colour}"><title>{series}: {score.mean:.3f} '
        f"(95% CI {score.interval.low:.3f} to {score.interval.high:.3f})</title></rect>",
        f'<path data-model="{series}" d="M{centre - 5:.2f},{low:.2f} H{centre + 5:.2f} '
        f'M{centre:.2f},{low:.2f} V{high:.2f} M{centre - 5:.2f},{high:.2f} H{centre + 5:.2f}" '
        f'fill="none" stroke="#222222"/>',
        f'<text x="{centre:.2f}" y="{min(top, high) - 4:.2f}" {_FONT} font-size="10" '
        f'text-anchor="middle">{score.mean:.2f}</text>',
    ]


def _legend(entries: list[tuple[str, str]], width: int) -> list[str]:
    """One swatch per model under the title, wrapping onto a second row when the first is full."""
    parts = []
    left, top = _LEFT, 34
    for text, colour in entries:
        shown = text if len(text) <= 40 else text[:39] + "…"
        needed = 16 + 7 * len(shown) + 20  # about 7 px per character at font-size 11
        if left > _LEFT and left + needed > width - _RIGHT:
            left, top = _LEFT, top + 14
        parts.append(f'<rect x="{left}" y="{top}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{left + 14}" y="{top + 9}" {_FONT} font-size="11">{_escape(shown)}</text>')
        left += needed
    return parts
