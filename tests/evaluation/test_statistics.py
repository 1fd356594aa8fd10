"""Means, paired differences and bootstrap intervals on inputs whose answers are known."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from tuning.evaluation import bootstrap_interval, summarise_grader
from tuning.evaluation.statistics import Interval, compare


def test_constant_differences_give_a_zero_width_interval() -> None:
    interval = bootstrap_interval([0.3] * 25)
    assert interval.low == interval.high == pytest.approx(0.3)
    comparison = compare("final", [0.8] * 10, [0.6] * 10)
    assert comparison.interval.low == comparison.interval.high == pytest.approx(comparison.difference)
    assert comparison.difference == pytest.approx(0.2)


def test_two_values_span_the_whole_range() -> None:
    # resampled means of [0, 1] are 0, 0.5 and 1 with probabilities 1/4, 1/2, 1/4
    assert bootstrap_interval([0.0, 1.0]) == Interval(low=0.0, high=1.0)


def test_a_hand_computed_small_case() -> None:
    # n = 4, one 1 among zeros: the resampled mean is k/4 with k ~ Binomial(4, 1/4), whose CDF is
    # 0.316, 0.738, 0.949, 0.996, 1: the 2.5th percentile is 0 and the 97.5th is 3/4
    assert bootstrap_interval([0.0, 0.0, 0.0, 1.0]) == Interval(low=0.0, high=0.75)


def exact_percentiles(values: list[float], quantiles: tuple[float, float]) -> tuple[float, float]:
    """Percentiles of the exact bootstrap distribution: every one of the n^n resamples."""
    means = sorted(sum(sample) / len(values) for sample in itertools.product(values, repeat=len(values)))
    return tuple(means[math.ceil(q * len(means)) - 1] for q in quantiles)  # type: ignore[return-value]


def test_the_monte_carlo_interval_matches_the_exact_bootstrap() -> None:
    values = [0.1, 0.4, 0.5, 0.9, 1.0]  # 3125 resamples, enumerated
    low, high = exact_percentiles(values, (0.025, 0.975))
    interval = bootstrap_interval(values)
    assert interval.low == pytest.approx(low, abs=0.02)
    assert interval.high == pytest.approx(high, abs=0.02)


def test_a_large_sample_agrees_with_the_normal_approximation() -> None:
    values = np.random.default_rng(7).normal(0.1, 0.3, size=2_500)  # also resampled in several chunks
    half_width = 1.96 * values.std(ddof=1) / math.sqrt(values.size)
    interval = bootstrap_interval(values)
    assert interval.low == pytest.approx(values.mean() - half_width, abs=0.15 * half_width)
    assert interval.high == pytest.approx(values.mean() + half_width, abs=0.15 * half_width)


def test_the_seed_makes_intervals_reproducible() -> None:
    values = np.random.default_rng(3).uniform(size=40)
    assert bootstrap_interval(values) == bootstrap_interval(list(values))
    assert bootstrap_interval(values, seed=1) != bootstrap_interval(values, seed=2)
    # each interval restarts the generator: what was computed before does not matter
    first = compare("a", values, values[::-1])
    bootstrap_interval([0.5, 0.2, 0.9])
    assert compare("a", values, values[::-1]) == first


def test_wins_ties_and_losses_per_example() -> None:
    comparison = compare("final", [1.0, 0.5, 0.2, 0.7, 0.3], [0.0, 0.5, 0.4, 0.7 + 1e-12, 0.1])
    assert (comparison.wins, comparison.ties, comparison.losses) == (2, 2, 1)
    assert comparison.difference == pytest.approx((1.0 + 0 - 0.2 + 0 + 0.2) / 5)


@pytest.mark.parametrize(
    ("scores", "baseline", "message"),
    [
        ([0.1, 0.2], [0.1], "2 scores against the baseline's 1"),
        ([], [], "needs at least one score"),
        ([0.1, float("nan")], [0.1, 0.2], "must be finite"),
    ],
)
def test_bad_score_lists_are_refused(scores: list[float], baseline: list[float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        compare("final", scores, baseline)


def test_a_grader_summary_with_a_baseline() -> None:
    summary = summarise_grader(
        "token_f1",
        {"final": [0.9, 0.8, 0.7], "checkpoint": [0.5, 0.5, 0.5]},
        ("baseline", [0.5, 0.6, 0.4]),
    )
    assert summary.examples == 3
    assert summary.baseline is not None and summary.baseline.mean == pytest.approx(0.5)
    assert [score.model for score in summary.candidates] == ["final", "checkpoint"]
    assert summary.candidate("final").mean == pytest.approx(0.8)
    final = summary.comparison("final")
    assert final is not None and final.difference == pytest.approx(0.3)
    # differences 0.4, 0.2, 0.3: all three equal in 1/27 (3.7%) of the resamples, above the 2.5% tails
    assert (final.interval.low, final.interval.high) == pytest.approx((0.2, 0.4))
    assert (final.wins, final.ties, final.losses) == (3, 0, 0)


def test_a_grader_summary_without_a_baseline_has_no_comparisons() -> None:
    summary = summarise_grader("exact_match", {"final": [1.0, 0.0, 1.0, 1.0]})
    assert summary.baseline is None and summary.comparisons == ()
    assert summary.candidate("final").mean == 0.75


def test_candidates_must_answer_the_same_examples() -> None:
    with pytest.raises(ValueError, match="different numbers of examples"):
        summarise_grader("exact_match", {"a": [1.0], "b": [1.0, 0.0]})
    with pytest.raises(ValueError, match="no candidate"):
        summarise_grader("exact_match", {})
