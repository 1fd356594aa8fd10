"""build_report: scores, summaries, decision and worst examples from the models' answers."""

from __future__ import annotations

import io

import pytest

from tests.evaluation.builders import EXAMPLES, MODELS, answers, eval_jsonl
from tuning.evaluation import (
    EvaluationReport,
    ModelInfo,
    build_report,
    chat_calls,
    parse_evaluation_options,
    read_eval_examples,
)
from tuning.evaluation.report import MAX_TEXT_CHARACTERS, worst_examples


def test_the_report_scores_every_grader_for_every_model(report: EvaluationReport) -> None:
    assert [summary.grader for summary in report.graders] == ["exact_match", "token_f1", "llm_judge"]
    exact = report.graders[0]
    assert exact.baseline is not None and exact.baseline.mean == 0.0
    assert [(score.model, score.mean) for score in exact.candidates] == [
        ("final", 0.5),
        ("best_checkpoint", 0.25),
    ]
    judge = report.graders[2]
    assert judge.candidate("final").mean == pytest.approx((1.0 + 0.2 + 1.0 + 0.1) / 4)
    assert (report.decision.promote, report.decision.candidate) == (True, "final")
    assert report.judge_prompt_version == "llm_judge.v1"
    assert report.eval_set.model_dump() == {
        "source": "eval.jsonl",
        "examples": 4,
        "lines": 4,
        "evaluable": 4,
        "skipped": {},
        "selection": "all",
        "is_validation_file": False,
    }
    assert report.statistics.resamples == 10_000


def test_report_json_round_trips(report: EvaluationReport) -> None:
    assert EvaluationReport.model_validate_json(report.model_dump_json()) == report


def test_worst_examples_are_the_promoted_candidates_losses(report: EvaluationReport) -> None:
    assert report.worst_examples_kind == "losses_to_baseline"
    (loss,) = report.worst_examples  # final loses on the last example only (token_f1 0 against 0.167)
    assert (loss.index, loss.line, loss.candidate) == (3, 4, "final")
    assert loss.reference == EXAMPLES[3][1]
    assert loss.baseline_answer == "Au"
    assert loss.candidate_score == 0.0
    assert loss.difference == pytest.approx(-1 / 6)


def test_worst_examples_rank_the_largest_losses_first_and_keep_five() -> None:
    eval_set = read_eval_examples(io.BytesIO(eval_jsonl() * 2), 100)
    examples = eval_set.examples
    candidate = [0.0, 0.5, 0.2, 0.9, 0.1, 0.6, 0.3, 1.0]
    baseline = [0.5, 0.5, 0.9, 0.0, 0.75, 0.7, 0.9, 0.2]  # losses: 0.5, 0.7, 0.65, 0.1, 0.6; a tie; wins
    worst = worst_examples(examples, ("final", ["a"] * 8, candidate), (["b"] * 8, baseline))
    assert [row.index for row in worst] == [2, 4, 6, 0, 5]
    assert worst[0].difference == pytest.approx(-0.7)
    lowest = worst_examples(examples, ("final", ["a"] * 8, candidate), None, count=3)
    assert [row.index for row in lowest] == [0, 4, 2]
    assert lowest[0].baseline_answer is None and lowest[0].difference is None


def test_long_texts_are_clipped_in_the_report() -> None:
    eval_set = read_eval_examples(io.BytesIO(eval_jsonl()), 1)
    (row,) = worst_examples(eval_set.examples, ("final", ["x" * 5000], [0.0]), None)
    assert row.candidate_answer == "x" * MAX_TEXT_CHARACTERS + "… (3,000 more characters)"


def test_without_a_judge_no_prompt_version_and_without_a_baseline_the_lowest_scores() -> None:
    options = parse_evaluation_options({"min_score": 0.5}, "run.json")
    eval_set = read_eval_examples(io.BytesIO(eval_jsonl()), 100)
    given = answers()
    report = build_report(
        options,
        eval_set,
        is_validation_file=True,
        models=MODELS[1:],
        answers={k: given[k] for k in ("final", "best_checkpoint")},
    )
    assert report.judge_prompt_version is None
    assert report.eval_set.is_validation_file
    assert report.decision.rule == "min_score" and report.decision.promote
    assert report.worst_examples_kind == "lowest_scores"
    assert [row.index for row in report.worst_examples] == [3, 1, 0, 2]


@pytest.mark.parametrize(
    ("models", "answers_for", "judge", "message"),
    [
        (MODELS, ("baseline", "final"), True, "best_checkpoint: expected 4 answers"),
        (
            MODELS,
            ("baseline", "final", "best_checkpoint"),
            False,
            "llm_judge: expected 4 judge scores for baseline",
        ),
        (
            (MODELS[0], MODELS[0].model_copy(update={"label": "b2"}), MODELS[1]),
            (),
            True,
            "at most one baseline",
        ),
        ((MODELS[0],), ("baseline",), True, "at least one candidate"),
        ((MODELS[1], MODELS[1]), ("final",), True, "labels must be unique"),
    ],
)
def test_inconsistent_inputs_are_refused(
    models: tuple[ModelInfo, ...], answers_for: tuple[str, ...], judge: bool, message: str
) -> None:
    options = parse_evaluation_options(
        {"graders": ["token_f1", {"type": "llm_judge", "deployment": "gpt-4.1"}]}, "run.json"
    )
    given = answers()
    with pytest.raises(ValueError, match=message):
        build_report(
            options,
            read_eval_examples(io.BytesIO(eval_jsonl()), 100),
            is_validation_file=False,
            models=models,
            answers={label: given[label] for label in answers_for},
            judge_scores={"llm_judge": {"final": [0.5] * 4, "best_checkpoint": [0.5] * 4}}
            if not judge
            else None,
        )


def test_chat_calls_formula() -> None:
    # every model answers every example once; every judge scores every answer once
    assert chat_calls(100, 2, baseline=True, judges=0) == 300
    assert chat_calls(100, 2, baseline=True, judges=1) == 600
    assert chat_calls(100, 1, baseline=False, judges=2) == 300
