"""Paired statistics of per-example scores: means, bootstrap intervals, wins/ties/losses.

Every model answers the same examples, so a candidate is compared with the baseline example by
example: the difference d_i = candidate_i - baseline_i, its mean, and a 95% percentile bootstrap
interval of that mean (resample the n differences with replacement RESAMPLES times, take the
2.5th and 97.5th percentiles of the resampled means, numpy's default linear interpolation). The
generator is seeded (BOOTSTRAP_SEED) and restarted for every interval, so the same scores always
give the same interval, whatever else was computed before. The interval of each model's own
mean is computed the same way; the report's chart draws it as whiskers.

A tie is a difference within TIE_TOLERANCE (scores are in [0, 1]; float noise is not a win).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict

__all__ = [
    "BOOTSTRAP_SEED",
    "CONFIDENCE",
    "RESAMPLES",
    "Comparison",
    "GraderSummary",
    "Interval",
    "ModelScore",
    "bootstrap_interval",
    "compare",
    "summarise_grader",
]

RESAMPLES = 10_000
BOOTSTRAP_SEED = 20_241_128
CONFIDENCE = 0.95
TIE_TOLERANCE = 1e-9
_DRAWS_PER_CHUNK = 1_000_000  # resample indices held at once: 8 MB whatever the eval set's size


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Interval(_Frozen):
    low: float
    high: float


class ModelScore(_Frozen):
    model: str
    mean: float
    interval: Interval


class Comparison(_Frozen):
    """A candidate against the baseline on one grader, paired by example."""

    candidate: str
    difference: float
    interval: Interval
    wins: int
    ties: int
    losses: int


class GraderSummary(_Frozen):
    grader: str
    examples: int
    baseline: ModelScore | None
    candidates: tuple[ModelScore, ...]
    comparisons: tuple[Comparison, ...]

    def candidate(self, model: str) -> ModelScore:
        return next(score for score in self.candidates if score.model == model)

    def comparison(self, model: str) -> Comparison | None:
        return next((item for item in self.comparisons if item.candidate == model), None)


Scores = Sequence[float] | npt.NDArray[np.float64]


def _array(values: Scores, what: str) -> npt.NDArray[np.float64]:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{what}: needs at least one score")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{what}: scores must be finite numbers")
    return array


def bootstrap_interval(values: Scores, *, resamples: int = RESAMPLES, seed: int = BOOTSTRAP_SEED) -> Interval:
    """The percentile bootstrap CONFIDENCE interval of the mean of `values`."""
    data = _array(values, "bootstrap")
    if resamples < 1:
        raise ValueError("resamples must be at least 1")
    generator = np.random.default_rng(seed)
    means = np.empty(resamples)
    rows = max(1, _DRAWS_PER_CHUNK // data.size)
    for start in range(0, resamples, rows):
        count = min(rows, resamples - start)
        means[start : start + count] = data[generator.integers(0, data.size, size=(count, data.size))].mean(
            axis=1
        )
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return Interval(low=float(low), high=float(high))


def _model_score(model: str, values: npt.NDArray[np.float64]) -> ModelScore:
    return ModelScore(model=model, mean=float(values.mean()), interval=bootstrap_interval(values))


def compare(candidate: str, scores: Scores, baseline: Scores) -> Comparison:
    """The paired difference candidate - baseline, its interval, and per-example wins/ties/losses."""
    ours, theirs = _array(scores, candidate), _array(baseline, "baseline")
    if ours.size != theirs.size:
        raise ValueError(f"{candidate}: {ours.size} scores against the baseline's {theirs.size}")
    differences = ours - theirs
    ties = int(np.count_nonzero(np.abs(differences) <= TIE_TOLERANCE))
    wins = int(np.count_nonzero(differences > TIE_TOLERANCE))
    return Comparison(
        candidate=candidate,
        difference=float(differences.mean()),
        interval=bootstrap_interval(differences),
        wins=wins,
        ties=ties,
        losses=int(differences.size) - wins - ties,
    )


def summarise_grader(
    grader: str,
    candidates: Mapping[str, Scores],
    baseline: tuple[str, Scores] | None = None,
) -> GraderSummary:
    """One grader's means and intervals per model, and each candidate's comparison with the baseline.

    `candidates` maps a candidate's label to its scores and `baseline` is (label, scores) or None;
    every list holds one score per example, in the eval set's order.
    """
    if not candidates:
        raise ValueError(f"{grader}: no candidate to summarise")
    arrays = {model: _array(scores, f"{grader}/{model}") for model, scores in candidates.items()}
    sizes = {array.size for array in arrays.values()}
    if len(sizes) > 1:
        raise ValueError(f"{grader}: candidates were scored on different numbers of examples {sorted(sizes)}")
    return GraderSummary(
        grader=grader,
        examples=sizes.pop(),
        baseline=_model_score(baseline[0], _array(baseline[1], f"{grader}/{baseline[0]}"))
        if baseline
        else None,
        candidates=tuple(_model_score(model, array) for model, array in arrays.items()),
        comparisons=tuple(compare(model, arrays[model], baseline[1]) for model in arrays) if baseline else (),
    )
