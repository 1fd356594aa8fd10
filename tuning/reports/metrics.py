"""Azure OpenAI's fine-tuning result file: one row of metrics per step, and the run's summary of it."""

from __future__ import annotations

import csv
from dataclasses import dataclass

from tuning.reports.model import FinalMetrics, MetricsSummary

__all__ = ["StepMetric", "metrics_summary", "parse_step_metrics"]


@dataclass(frozen=True, slots=True)
class StepMetric:
    """One row of the fine-tuning result file; None where the service did not measure at that step."""

    step: int
    train_loss: float | None
    train_mean_token_accuracy: float | None
    valid_loss: float | None
    valid_mean_token_accuracy: float | None
    full_valid_loss: float | None = None
    full_valid_mean_token_accuracy: float | None = None


_VALUE_COLUMNS = (
    "train_loss",
    "train_mean_token_accuracy",
    "valid_loss",
    "valid_mean_token_accuracy",
    "full_valid_loss",
    "full_valid_mean_token_accuracy",
)


def parse_step_metrics(csv_text: str) -> list[StepMetric]:
    """Parse Azure OpenAI's result CSV, keeping the known columns and ignoring the others.

    Azure adds columns over time, so columns are found by header name, not
    position. Blank lines, CRLF and a byte-order mark are tolerated because downloads differ; a
    malformed row raises ValueError naming its line so a broken file is not silently half-plotted.
    """
    lines = [
        (number, line)
        for number, line in enumerate(csv_text.lstrip("\ufeff").splitlines(), start=1)
        if line.strip()
    ]
    if not lines:
        return []
    header_number, header = lines[0]
    columns = _cells(header)
    if "step" not in columns:
        raise ValueError(f"line {header_number}: the header has no 'step' column: {header!r}")
    return [_step_metric(columns, number, line) for number, line in lines[1:]]


def _cells(line: str) -> list[str]:
    """Split one CSV line with the csv module, so a quoted cell is still read correctly."""
    return [cell.strip() for cell in next(csv.reader([line]))]


def _step_metric(columns: list[str], number: int, line: str) -> StepMetric:
    """Build one StepMetric, wrapping any cell error with the line number and text."""
    cells = _cells(line)
    if len(cells) != len(columns):
        raise ValueError(f"line {number}: expected {len(columns)} cells, found {len(cells)}: {line!r}")
    row = dict(zip(columns, cells, strict=True))
    try:
        return StepMetric(
            _step(row["step"]), *(_optional_float(name, row.get(name, "")) for name in _VALUE_COLUMNS)
        )
    except ValueError as error:
        raise ValueError(f"line {number}: {error}: {line!r}") from None


def _step(cell: str) -> int:
    """The step number is the x axis, so unlike the values it may not be empty."""
    try:
        return int(cell)
    except ValueError:
        raise ValueError(f"step is not an integer: {cell!r}") from None


def _optional_float(name: str, cell: str) -> float | None:
    """An empty cell means "not measured at this step" (validation runs only every few steps)."""
    if not cell:
        return None
    try:
        return float(cell)
    except ValueError:
        raise ValueError(f"{name} is not a number: {cell!r}") from None


def metrics_summary(steps: list[StepMetric]) -> MetricsSummary:
    """How many steps ran, and the last step's losses (the last measured validation values)."""
    if not steps:
        return MetricsSummary(steps=0)
    last = steps[-1]
    last_valid = next((s for s in reversed(steps) if s.valid_loss is not None), None)
    last_full = next((s for s in reversed(steps) if s.full_valid_loss is not None), None)
    return MetricsSummary(
        steps=len(steps),
        final=FinalMetrics(
            step=last.step,
            train_loss=last.train_loss,
            train_mean_token_accuracy=last.train_mean_token_accuracy,
            valid_loss=last_valid.valid_loss if last_valid else None,
            valid_mean_token_accuracy=last_valid.valid_mean_token_accuracy if last_valid else None,
            full_valid_loss=last_full.full_valid_loss if last_full else None,
            full_valid_mean_token_accuracy=last_full.full_valid_mean_token_accuracy if last_full else None,
        ),
    )
