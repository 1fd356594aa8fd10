"""The promotion rules and the reasons they give."""

from __future__ import annotations

import pytest

from tuning.evaluation import EvaluationOptions, decide, summarise_grader
from tuning.evaluation.statistics import GraderSummary

BASELINE = [0.2, 0.3, 0.1, 0.4, 0.2, 0.3, 0.2, 0.1, 0.3, 0.2]


def options(**fields: object) -> EvaluationOptions:
    return EvaluationOptions.model_validate(fields)


def summary(candidates: dict[str, list[float]], baseline: list[float] | None = BASELINE) -> GraderSummary:
    return summarise_grader("token_f1", candidates, ("baseline", baseline) if baseline is not None else None)


def test_a_clear_improvement_is_promoted() -> None:
    better = [score + 0.3 for score in BASELINE]
    decision = decide([summary({"final": better})], options(baseline_deployment="gpt-4o"))
    assert (decision.promote, decision.candidate, decision.rule, decision.primary) == (
        True,
        "final",
        "baseline",
        "token_f1",
    )
    assert decision.reason.startswith("Promoted: final scores 0.530 on token_f1 and the baseline 0.230")
    assert "a difference of +0.300 (95% CI +0.300 to +0.300)" in decision.reason


def test_the_best_candidate_on_the_primary_grader_is_the_one_judged() -> None:
    summaries = [
        summary({"final": [s + 0.1 for s in BASELINE], "best_checkpoint": [s + 0.2 for s in BASELINE]}),
        summarise_grader(
            "exact_match", {"final": [1.0] * 10, "best_checkpoint": [0.0] * 10}, ("baseline", [0.0] * 10)
        ),
    ]
    assert decide(summaries, options()).candidate == "best_checkpoint"
    assert decide(summaries, options(primary="exact_match")).candidate == "final"


def test_equal_candidates_keep_the_first_listed() -> None:
    same = [s + 0.2 for s in BASELINE]
    assert decide([summary({"final": same, "best_checkpoint": same})], options()).candidate == "final"


def test_too_small_an_improvement_is_not_promoted() -> None:
    slightly = [score + 0.01 for score in BASELINE]
    decision = decide([summary({"final": slightly})], options())
    assert not decision.promote and decision.rule == "baseline"
    assert decision.reason.startswith("Not promoted: final scores 0.240")
    assert decision.reason.endswith("the improvement is below the required +0.020.")


def test_an_improvement_that_could_be_chance_is_not_promoted() -> None:
    # mean gain +0.33 but the differences are +1, -1, +1: the interval reaches below zero
    decision = decide([summary({"final": [1.0, 0.0, 1.0]}, baseline=[0.0, 1.0, 0.0])], options())
    assert not decision.promote
    assert "a difference of +0.333" in decision.reason
    assert (
        "the interval does not lie above zero, so the gain could be chance on 3 examples" in decision.reason
    )
    assert "below the required" not in decision.reason


def test_every_failed_condition_is_named() -> None:
    decision = decide([summary({"final": [0.5, 0.0]}, baseline=[0.0, 0.5])], options(min_score=0.9))
    assert decision.reason.count("; and ") == 2
    assert decision.reason.endswith("its score is below min_score 0.900.")


def test_min_score_is_a_floor_even_with_a_baseline() -> None:
    better = [score + 0.3 for score in BASELINE]
    assert decide([summary({"final": better})], options(min_score=0.5)).promote
    refused = decide([summary({"final": better})], options(min_score=0.6))
    assert not refused.promote and refused.reason.endswith("its score is below min_score 0.600.")


def test_thresholds_tolerate_float_noise() -> None:
    # 0.3 - 0.28 is 0.019999999999999962 in floating point: still "at least 0.02"
    decision = decide([summary({"final": [0.3] * 5}, baseline=[0.28] * 5)], options(min_improvement=0.02))
    assert decision.promote


def test_without_a_baseline_only_min_score_applies() -> None:
    scores = {"final": [0.6, 0.7, 0.8]}
    promoted = decide([summary(scores, baseline=None)], options(min_score=0.7))
    assert (promoted.promote, promoted.rule) == (True, "min_score")
    assert promoted.reason == (
        "Promoted: there is no baseline deployment, so only the absolute threshold applies: final scores "
        "0.700 on token_f1 (95% CI 0.600 to 0.800), at least min_score 0.700."
    )
    refused = decide([summary(scores, baseline=None)], options(min_score=0.75))
    assert (refused.promote, refused.rule) == (False, "min_score")
    assert refused.reason.startswith("Not promoted: there is no baseline deployment")
    assert refused.reason.endswith("below min_score 0.750.")


def test_without_baseline_or_min_score_nothing_is_promoted() -> None:
    decision = decide([summary({"final": [1.0, 1.0]}, baseline=None)], options())
    assert (decision.promote, decision.rule, decision.candidate) == (False, "no_reference", "final")
    assert (
        "Set evaluation.baseline_deployment" in decision.reason and "evaluation.min_score" in decision.reason
    )


def test_the_primary_grader_must_have_been_scored() -> None:
    with pytest.raises(ValueError, match="no scores for the primary grader 'token_f1'"):
        decide([summarise_grader("exact_match", {"final": [1.0]})], options())
