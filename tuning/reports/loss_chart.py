"""The SVG loss curve (loss.svg): training and validation loss per step.

Hand-written rather than plotted so the Functions app needs no plotting library, and the output
is byte-for-byte deterministic (coordinates are rounded, nothing depends on time or fonts).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from tuning.reports.metrics import StepMetric
from tuning.reports.text import xml_text

__all__ = ["render_loss_svg"]

_WIDTH, _HEIGHT = 640, 360
_LEFT, _RIGHT, _TOP, _BOTTOM = 72, 24, 48, 52
_SERIES = (("train_loss", "Training loss", "#1f77b4"), ("valid_loss", "Validation loss", "#d62728"))
_FONT = 'font-family="sans-serif"'
_MAX_DOTS = 60  # beyond this many points, dots merge into a thick line and only add bytes


@dataclass(frozen=True, slots=True)
class _Axis:
    """Maps data values in [low, high] onto pixels in [start, end], with round tick values."""

    ticks: tuple[float, ...]
    start: float
    end: float

    def __call__(self, value: float) -> float:
        low, high = self.ticks[0], self.ticks[-1]
        return self.start + (value - low) / (high - low) * (self.end - self.start)

    def label(self, value: float) -> str:
        """Enough decimals to tell neighbouring ticks apart, and no more."""
        step = self.ticks[1] - self.ticks[0]
        decimals = max(0, -math.floor(math.log10(step)))
        return f"{round(value, decimals) + 0.0:.{decimals}f}"


def render_loss_svg(steps: Sequence[StepMetric], title: str = "Loss per step") -> str:
    """A standalone SVG line chart of training and validation loss per step.

    Hand-written rather than plotted so the Functions app needs no plotting library, and the output
    is byte-for-byte deterministic (coordinates are rounded, nothing depends on time or fonts).
    Validation loss is drawn only at the steps where the service measured it.
    """
    series = [(label, colour, _points(steps, attribute)) for attribute, label, colour in _SERIES]
    values = [value for _, _, points in series for _, value in points]
    if not values:
        return _svg_document(title, _placeholder("no metrics"))
    step_numbers = [step for _, _, points in series for step, _ in points]
    x = _Axis(_ticks(min(step_numbers), max(step_numbers), integer=True), _LEFT, _WIDTH - _RIGHT)
    y = _Axis(_ticks(min(values), max(values), integer=False), _HEIGHT - _BOTTOM, _TOP)
    body = _axes(x, y)
    for label, colour, points in series:
        body += _polyline(label, colour, points, x, y)
    body += _legend([(label, colour) for label, colour, points in series if points])
    return _svg_document(title, body)


def _points(steps: Sequence[StepMetric], attribute: str) -> list[tuple[int, float]]:
    """(step, value) pairs where the value was measured and is finite, in step order."""
    pairs = ((metric.step, getattr(metric, attribute)) for metric in steps)
    return sorted((step, value) for step, value in pairs if value is not None and math.isfinite(value))


def _ticks(low: float, high: float, *, integer: bool) -> tuple[float, ...]:
    """About five round values (1, 2 or 5 times a power of ten) spanning [low, high].

    Round ticks make the labels readable (0.5, 1.0, 1.5 rather than 0.4873, ...); the axis then
    spans exactly the first to the last tick. A single value is padded so the span is never zero.
    """
    if high <= low:
        pad = 1.0 if integer else abs(low) * 0.1 or 1.0
        low, high = low - pad, high + pad
    raw = (high - low) / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next((factor * magnitude for factor in (1, 2, 5, 10) if factor * magnitude >= raw), 10 * magnitude)
    if integer:
        step = max(1.0, float(round(step)))
    first, last = (
        math.floor(low / step + 1e-9),
        math.ceil(high / step - 1e-9),
    )  # 1.1 / 0.1 is 11.000000000000002
    return tuple(index * step for index in range(first, last + 1))


def _axes(x: _Axis, y: _Axis) -> list[str]:
    """Horizontal grid lines, both axes with tick labels, and the axis titles."""
    parts = []
    for value in y.ticks:
        top = _coordinate(y(value))
        parts.append(f'<line x1="{x.start}" y1="{top}" x2="{x.end}" y2="{top}" stroke="#e5e5e5"/>')
        parts.append(
            f'<text x="{x.start - 6}" y="{top}" {_FONT} font-size="11" text-anchor="end" '
            f'dominant-baseline="middle">{y.label(value)}</text>'
        )
    for value in x.ticks:
        left = _coordinate(x(value))
        parts.append(f'<line x1="{left}" y1="{y.start}" x2="{left}" y2="{y.start + 5}" stroke="#333333"/>')
        parts.append(
            f'<text x="{left}" y="{y.start + 18}" {_FONT} font-size="11" '
            f'text-anchor="middle">{x.label(value)}</text>'
        )
    parts.append(
        f'<polyline points="{x.start},{y.end} {x.start},{y.start} {x.end},{y.start}" '
        f'fill="none" stroke="#333333"/>'
    )
    parts.append(
        f'<text x="{(x.start + x.end) / 2}" y="{_HEIGHT - 12}" {_FONT} font-size="12" '
        f'text-anchor="middle">Step</text>'
    )
    middle = (y.start + y.end) / 2
    parts.append(
        f'<text x="18" y="{middle}" {_FONT} font-size="12" text-anchor="middle" '
        f'transform="rotate(-90 18 {middle})">Loss</text>'
    )
    return parts


def _polyline(label: str, colour: str, points: list[tuple[int, float]], x: _Axis, y: _Axis) -> list[str]:
    """One series as a polyline, plus a dot per point when sparse (validation, short runs).

    A polyline through a single point draws nothing, so the dots keep a lone measurement visible.
    """
    if not points:
        return []
    pixels = [(_coordinate(x(step)), _coordinate(y(value))) for step, value in points]
    series = xml_text(label)
    parts = [
        f'<polyline data-series="{series}" points="{" ".join(f"{a},{b}" for a, b in pixels)}" '
        f'fill="none" stroke="{colour}" stroke-width="1.5" stroke-linejoin="round"/>'
    ]
    if len(pixels) <= _MAX_DOTS:
        parts += [
            f'<circle data-series="{series}" cx="{a}" cy="{b}" r="2.5" fill="{colour}"/>' for a, b in pixels
        ]
    return parts


def _legend(entries: list[tuple[str, str]]) -> list[str]:
    """Top-right legend with a line swatch per drawn series."""
    parts = []
    for index, (label, colour) in enumerate(entries):
        top = _TOP + 12 + index * 18
        left = _WIDTH - _RIGHT - 130
        parts.append(
            f'<line x1="{left}" y1="{top}" x2="{left + 20}" y2="{top}" stroke="{colour}" stroke-width="2"/>'
        )
        parts.append(
            f'<text x="{left + 26}" y="{top}" {_FONT} font-size="11" '
            f'dominant-baseline="middle">{xml_text(label)}</text>'
        )
    return parts


def _placeholder(message: str) -> list[str]:
    """An empty frame with a message, so the report's image link never points at nothing."""
    return [
        f'<rect x="{_LEFT}" y="{_TOP}" width="{_WIDTH - _LEFT - _RIGHT}" height="{_HEIGHT - _TOP - _BOTTOM}" '
        f'fill="none" stroke="#cccccc"/>',
        f'<text x="{_WIDTH / 2}" y="{_HEIGHT / 2}" {_FONT} font-size="14" fill="#666666" '
        f'text-anchor="middle">{xml_text(message)}</text>',
    ]


def _svg_document(title: str, body: list[str]) -> str:
    """Wrap the body with the root element, an accessible title and the visible heading."""
    escaped = xml_text(title)
    return "\n".join(
        [
            '<?xml version="1.0" encoding="UTF-8"?>',
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{_HEIGHT}" '
            f'viewBox="0 0 {_WIDTH} {_HEIGHT}" role="img">',
            f"<title>{escaped}</title>",
            f'<rect width="{_WIDTH}" height="{_HEIGHT}" fill="#ffffff"/>',
            f'<text x="{_WIDTH / 2}" y="28" {_FONT} font-size="16" text-anchor="middle">{escaped}</text>',
            *body,
            "</svg>",
            "",
        ]
    )


def _coordinate(value: float) -> str:
    """Two decimals: sub-pixel precision without float noise in the output bytes."""
    return f"{value:.2f}"
