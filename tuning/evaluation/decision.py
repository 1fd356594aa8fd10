"""Whether to promote a candidate, and a reason a person understands.

The best candidate is the one with the highest mean on the primary grader (the first listed wins
a tie). It is promoted only when one of these rules says so:

- `baseline` (a baseline deployment was evaluated): its primary score beats the baseline's by at
  least `min_improvement` AND the 95% bootstrap interval of the paired difference lies above
  zero (so the gain is unlikely to be chance on this many examples), AND, when `min_score` is
  set, its primary score is at least `min_score`;
- `min_score` (no baseline): its primary score is at least `min_score`;
- `no_reference` (no baseline and no `min_score`): nothing to measure against, so nothing is
  promoted; the reason says which option to set. Promoting an unmeasured model is what the gate
  exists to prevent.

Thresholds are compared with a 1e-9 tolerance, so float noise (0.3 - 0.28) does not fail them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from tuning.evaluation.options import EvaluationOptions
from tuning.evaluation.statistics import TIE_TOLERANCE, Comparison, GraderSummary, Interval, ModelScore

__all__ = ["Decision", "decide"]

Rule = Literal["baseline", "min_score", "no_reference"]


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    promote: bool
    candidate: str | None  # the promoted candidate, or the best one that was not good enough
    primary: str
    rule: Rule
    reason: str


def decide(summaries: Sequence[GraderSummary], options: EvaluationOptions) -> Decision:
    """Apply the rules above to the primary grader's summary."""
    primary = next((summary for summary in summaries if summary.grader == options.primary), None)
    if primary is None:
        raise ValueError(f"no scores for the primary grader {options.primary!r}")
    best = max(primary.candidates, key=lambda score: score.mean)  # max keeps the first of equals
    if primary.baseline is not None:
        comparison = primary.comparison(best.model)
        if comparison is None:
            raise ValueError(f"{best.model} was not compared with the baseline")
        return _against_baseline(primary, best, primary.baseline, comparison, options)
    if options.min_score is not None:
        return _against_min_score(primary.grader, best, options.min_score)
    return Decision(
        promote=False,
        candidate=best.model,
        primary=primary.grader,
        rule="no_reference",
        reason=(
            "Not promoted: there is no baseline deployment and no min_score, so there is nothing to "
            "measure the candidates against. Set evaluation.baseline_deployment (an existing "
            "deployment of the base model) or evaluation.min_score."
        ),
    )


def _against_baseline(
    primary: GraderSummary,
    best: ModelScore,
    baseline: ModelScore,
    comparison: Comparison,
    options: EvaluationOptions,
) -> Decision:
    grader, n = primary.grader, primary.examples
    named = "the baseline" if baseline.model == "baseline" else f"the baseline ({baseline.model})"
    facts = (
        f"{best.model} scores {best.mean:.3f} on {grader} and {named} "
        f"{baseline.mean:.3f} over {n} examples: a difference of {comparison.difference:+.3f} "
        f"(95% CI {_interval(comparison.interval, '+')})"
    )
    failures = []
    if comparison.difference < options.min_improvement - TIE_TOLERANCE:
        failures.append(f"the improvement is below the required {options.min_improvement:+.3f}")
    if comparison.interval.low <= 0:
        failures.append(f"the interval does not lie above zero, so the gain could be chance on {n} examples")
    if options.min_score is not None and best.mean < options.min_score - TIE_TOLERANCE:
        failures.append(f"its score is below min_score {options.min_score:.3f}")
    if failures:
        reason = f"Not promoted: {facts}; {'; and '.join(failures)}."
    else:
        floor = f", and at least min_score {options.min_score:.3f}" if options.min_score is not None else ""
        reason = (
            f"Promoted: {facts}, at least the required {options.min_improvement:+.3f} "
            f"with the interval above zero{floor}."
        )
    return Decision(
        promote=not failures, candidate=best.model, primary=grader, rule="baseline", reason=reason
    )


def _against_min_score(grader: str, best: ModelScore, min_score: float) -> Decision:
    promote = best.mean >= min_score - TIE_TOLERANCE
    verdict = "Promoted" if promote else "Not promoted"
    relation = "at least" if promote else "below"
    return Decision(
        promote=promote,
        candidate=best.model,
        primary=grader,
        rule="min_score",
        reason=(
            f"{verdict}: there is no baseline deployment, so only the absolute threshold applies: "
            f"{best.model} scores {best.mean:.3f} on {grader} (95% CI {_interval(best.interval, '')}), "
            f"{relation} min_score {min_score:.3f}."
        ),
    )


def _interval(interval: Interval, sign: Literal["+", ""]) -> str:
    return f"{interval.low:{sign}.3f} to {interval.high:{sign}.3f}"
