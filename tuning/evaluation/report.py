"""What an evaluation adds to report.json, and the one call that computes it from the answers.

The pipeline collects one answer per example from every model (baseline and candidates) and, for
each llm_judge grader, one judge score per answer; `build_report` scores the rest locally, runs
the paired statistics, takes the decision and picks the examples a person should look at first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tuning.evaluation.decision import Decision, decide
from tuning.evaluation.examples import EvalExample, EvalSet, PromptMessage
from tuning.evaluation.graders import score
from tuning.evaluation.judge import JUDGE_PROMPT_VERSION
from tuning.evaluation.options import EvaluationOptions, LlmJudgeGrader, SimpleGrader
from tuning.evaluation.statistics import (
    BOOTSTRAP_SEED,
    CONFIDENCE,
    RESAMPLES,
    GraderSummary,
    summarise_grader,
)

__all__ = [
    "EvalSetInfo",
    "EvaluationReport",
    "ExampleContrast",
    "ModelInfo",
    "StatisticsMethod",
    "TokenUsage",
    "build_report",
    "chat_calls",
    "worst_examples",
]

WORST_EXAMPLES = 5
MAX_TEXT_CHARACTERS = 2000  # per prompt message, reference or answer shown in the report


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelInfo(_Frozen):
    """One evaluated model; `label` is how scores, answers and the report refer to it."""

    label: str = Field(min_length=1, max_length=64)
    role: Literal["baseline", "candidate"]
    deployment: str
    model: str | None = None  # the base model, or the fine-tuned model / checkpoint id
    step: int | None = None  # the checkpoint's training step


class TokenUsage(_Frozen):
    """Tokens spent by one model's answers, or by one judge grader's scoring."""

    model: str
    purpose: Literal["answers", "judge"]
    requests: int = Field(ge=0)
    prompt_tokens: int = Field(ge=0)
    completion_tokens: int = Field(ge=0)


class EvalSetInfo(_Frozen):
    source: str
    examples: int
    lines: int
    evaluable: int
    skipped: dict[str, int]
    selection: Literal["all", "hash_sample"]
    is_validation_file: bool  # then it also chose the best checkpoint, which flatters that candidate


class ExampleContrast(_Frozen):
    """One example with the candidate's and the baseline's answers side by side."""

    index: int
    line: int
    prompt: tuple[PromptMessage, ...]
    reference: str
    candidate: str
    candidate_answer: str
    candidate_score: float
    baseline_answer: str | None
    baseline_score: float | None
    difference: float | None


class StatisticsMethod(_Frozen):
    method: Literal["paired percentile bootstrap of the mean"] = "paired percentile bootstrap of the mean"
    resamples: int = RESAMPLES
    seed: int = BOOTSTRAP_SEED
    confidence: float = CONFIDENCE


class EvaluationReport(_Frozen):
    """The "evaluation" part of report.json; render_evaluation_markdown/svg draw it."""

    options: EvaluationOptions
    eval_set: EvalSetInfo
    models: tuple[ModelInfo, ...]
    graders: tuple[GraderSummary, ...]
    decision: Decision
    worst_examples_kind: Literal["losses_to_baseline", "lowest_scores"]
    worst_examples: tuple[ExampleContrast, ...]
    usage: tuple[TokenUsage, ...]
    judge_prompt_version: str | None
    statistics: StatisticsMethod = StatisticsMethod()

    def display_name(self, label: str) -> str:
        """The label, marked "(baseline)" for the baseline unless its label already says so."""
        is_baseline = any(model.label == label and model.role == "baseline" for model in self.models)
        return f"{label} (baseline)" if is_baseline and "baseline" not in label.lower() else label


def chat_calls(examples: int, candidates: int, *, baseline: bool, judges: int) -> int:
    """Chat completions an evaluation makes: every model answers every example once, and every
    llm_judge grader scores every answer once: N x (C + B) x (1 + G)."""
    return examples * (candidates + int(baseline)) * (1 + judges)


def build_report(
    options: EvaluationOptions,
    eval_set: EvalSet,
    *,
    is_validation_file: bool,
    models: Sequence[ModelInfo],
    answers: Mapping[str, Sequence[str]],
    judge_scores: Mapping[str, Mapping[str, Sequence[float]]] | None = None,
    usage: Sequence[TokenUsage] = (),
) -> EvaluationReport:
    """Score, summarise and decide.

    `answers[label]` holds a model's answer to each example in eval-set order ("" where the model
    gave none: it then scores as an empty answer). `judge_scores[grader name][label]` holds the
    parse_judge_reply score of each of those answers, for every llm_judge grader.
    """
    examples = eval_set.examples
    baseline, candidates = _roles(models)
    for model in models:
        if len(answers.get(model.label, ())) != len(examples):
            raise ValueError(f"{model.label}: expected {len(examples)} answers")
    scores = {
        grader.name: {
            model.label: _grader_scores(grader, model.label, examples, answers, judge_scores or {})
            for model in models
        }
        for grader in options.graders
    }
    summaries = tuple(
        summarise_grader(
            grader,
            {model.label: by_model[model.label] for model in candidates},
            (baseline.label, by_model[baseline.label]) if baseline else None,
        )
        for grader, by_model in scores.items()
    )
    decision = decide(summaries, options)
    chosen = decision.candidate or candidates[0].label
    primary = scores[options.primary]
    return EvaluationReport(
        options=options,
        eval_set=EvalSetInfo(
            **eval_set.model_dump(exclude={"examples"}),
            examples=len(examples),
            is_validation_file=is_validation_file,
        ),
        models=tuple(models),
        graders=summaries,
        decision=decision,
        worst_examples_kind="losses_to_baseline" if baseline else "lowest_scores",
        worst_examples=worst_examples(
            examples,
            (chosen, answers[chosen], primary[chosen]),
            (answers[baseline.label], primary[baseline.label]) if baseline else None,
        ),
        usage=tuple(usage),
        judge_prompt_version=JUDGE_PROMPT_VERSION if options.judges else None,
    )


def _roles(models: Sequence[ModelInfo]) -> tuple[ModelInfo | None, list[ModelInfo]]:
    labels = [model.label for model in models]
    if len(set(labels)) != len(labels):
        raise ValueError(f"model labels must be unique: {labels}")
    baselines = [model for model in models if model.role == "baseline"]
    candidates = [model for model in models if model.role == "candidate"]
    if len(baselines) > 1 or not candidates:
        raise ValueError("an evaluation needs at least one candidate and at most one baseline")
    return (baselines[0] if baselines else None), candidates


def _grader_scores(
    grader: SimpleGrader | LlmJudgeGrader,
    label: str,
    examples: Sequence[EvalExample],
    answers: Mapping[str, Sequence[str]],
    judge_scores: Mapping[str, Mapping[str, Sequence[float]]],
) -> list[float]:
    if isinstance(grader, LlmJudgeGrader):
        given = list(judge_scores.get(grader.name, {}).get(label, ()))
        if len(given) != len(examples):
            raise ValueError(f"{grader.name}: expected {len(examples)} judge scores for {label}")
        return given
    return [
        score(grader, prompt=example.prompt, reference=example.reference, answer=answer)
        for example, answer in zip(examples, answers[label], strict=True)
    ]


def worst_examples(
    examples: Sequence[EvalExample],
    candidate: tuple[str, Sequence[str], Sequence[float]],
    baseline: tuple[Sequence[str], Sequence[float]] | None,
    count: int = WORST_EXAMPLES,
) -> tuple[ExampleContrast, ...]:
    """The examples where the candidate lost most against the baseline (only actual losses, largest
    first), or without a baseline its lowest-scoring examples; ties keep the eval set's order."""
    label, answers, scores = candidate
    if baseline is None:
        ranked = sorted(range(len(examples)), key=lambda position: scores[position])
    else:
        losses = [position for position in range(len(examples)) if scores[position] < baseline[1][position]]
        ranked = sorted(losses, key=lambda position: scores[position] - baseline[1][position])
    return tuple(
        ExampleContrast(
            index=examples[position].index,
            line=examples[position].line,
            prompt=tuple(
                message.model_copy(update={"content": _clip(message.content)})
                for message in examples[position].prompt
            ),
            reference=_clip(examples[position].reference),
            candidate=label,
            candidate_answer=_clip(answers[position]),
            candidate_score=scores[position],
            baseline_answer=_clip(baseline[0][position]) if baseline else None,
            baseline_score=baseline[1][position] if baseline else None,
            difference=scores[position] - baseline[1][position] if baseline else None,
        )
        for position in ranked[:count]
    )


def _clip(text: str) -> str:
    """Long texts are cut so five examples cannot make the report unreadable."""
    if len(text) <= MAX_TEXT_CHARACTERS:
        return text
    return f"{text[:MAX_TEXT_CHARACTERS]}… ({len(text) - MAX_TEXT_CHARACTERS:,} more characters)"
