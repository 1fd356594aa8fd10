"""Distributions and the epochs / billed tokens / cost estimate."""

from __future__ import annotations

import random

import numpy as np
import pytest

from tests.validation.builders import validate_bytes, with_padding
from tuning.validation.stats import Estimate, Histogram, default_epochs


@pytest.mark.parametrize("n", [1, 2, 5, 20, 333])
def test_histogram_matches_numpy(n: int) -> None:
    rng = random.Random(n)
    values = [rng.randint(0, 50) for _ in range(n)]
    histogram = Histogram()
    for value in values:
        histogram.add(value)
    summary = histogram.summary()
    assert (summary.sum, summary.min, summary.max) == (sum(values), min(values), max(values))
    assert summary.mean == pytest.approx(np.mean(values))
    assert summary.median == pytest.approx(np.median(values))
    assert summary.p95 == pytest.approx(np.percentile(values, 95))


def test_empty_histogram() -> None:
    assert Histogram().summary().to_dict() == {
        "sum": 0,
        "min": None,
        "max": None,
        "mean": None,
        "median": None,
        "p95": None,
    }


@pytest.mark.parametrize(
    ("examples", "epochs"), [(1, 25), (10, 10), (34, 3), (40, 3), (8_333, 3), (8_334, 2), (30_000, 1)]
)
def test_default_epochs_follow_the_cookbook(examples: int, epochs: int) -> None:
    assert default_epochs(examples) == epochs


def test_estimate_caps_each_example_at_the_context_limit() -> None:
    histogram = Histogram()
    for value in (10, 20, 500):
        histogram.add(value)
    estimate = Estimate.compute(histogram, context_limit=100, n_epochs=2, price=10.0)
    assert estimate.billed_tokens == (10 + 20 + 100) * 2
    assert estimate.cost_usd == pytest.approx(260 * 10 / 1_000_000)


def test_report_estimate_uses_heuristic_epochs_and_price_overrides() -> None:
    report = validate_bytes(with_padding(), price_overrides={"gpt-4o": 2.0})
    assert report.estimate.epochs == 10
    assert report.estimate.billed_tokens == report.total_tokens.sum * 10
    assert report.estimate.cost_usd == pytest.approx(report.estimate.billed_tokens * 2.0 / 1e6)
    assert validate_bytes(with_padding(), n_epochs=4).estimate.billed_tokens == report.total_tokens.sum * 4
