"""The evaluation block: the issue's example, defaults, every rule's message, merging layers."""

from __future__ import annotations

from typing import Any

import pytest

from tuning.evaluation import (
    EvaluationOptions,
    EvaluationOptionsError,
    LlmJudgeGrader,
    merge_evaluation_options,
    parse_evaluation_options,
)

ISSUE_EXAMPLE: dict[str, Any] = {
    "dataset": "eval.jsonl",
    "max_examples": 100,
    "baseline_deployment": "gpt-4o",
    "graders": ["exact_match", "token_f1", {"type": "llm_judge", "deployment": "gpt-4.1", "rubric": "..."}],
    "primary": "token_f1",
    "min_improvement": 0.02,
    "min_score": None,
    "candidates": "final_and_best_checkpoint",
    "evaluation_sku": "DeveloperTier",
}


def test_the_issue_example_is_valid_and_round_trips() -> None:
    options = parse_evaluation_options(ISSUE_EXAMPLE, "run.json")
    assert [grader.name for grader in options.graders] == ["exact_match", "token_f1", "llm_judge"]
    assert options.judges == (LlmJudgeGrader(type="llm_judge", deployment="gpt-4.1", rubric="..."),)
    dumped = options.model_dump(mode="json")
    assert dumped["graders"][:2] == ["exact_match", "token_f1"]  # bare names, as the user wrote them
    assert EvaluationOptions.model_validate(dumped) == options
    assert EvaluationOptions.model_validate_json(options.model_dump_json()) == options


def test_defaults() -> None:
    options = parse_evaluation_options(None, "run.json")
    assert options.dataset == "eval.jsonl"
    assert options.max_examples == 100
    assert options.baseline_deployment is None
    assert [grader.name for grader in options.graders] == ["exact_match", "token_f1"]
    assert (options.primary, options.min_improvement, options.min_score) == ("token_f1", 0.02, None)
    assert (options.candidates, options.evaluation_sku) == ("final_and_best_checkpoint", "DeveloperTier")


def test_graders_may_be_written_as_objects() -> None:
    options = parse_evaluation_options({"graders": [{"type": "json_match"}], "primary": "json_match"}, "x")
    assert options.grader("json_match").type == "json_match"


def test_two_judges_need_two_names() -> None:
    judge = {"type": "llm_judge", "deployment": "gpt-4.1"}
    options = parse_evaluation_options(
        {
            "graders": [judge, {**judge, "name": "strict_judge", "rubric": "Be harsh."}],
            "primary": "strict_judge",
        },
        "run.json",
    )
    assert [grader.name for grader in options.judges] == ["llm_judge", "strict_judge"]
    with pytest.raises(EvaluationOptionsError, match="each grader name may appear once; repeated: llm_judge"):
        parse_evaluation_options({"graders": [judge, judge], "primary": "llm_judge"}, "run.json")


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (
            {"primary": "rouge"},
            "evaluation: primary: 'rouge' is not one of the graders (exact_match, token_f1)",
        ),
        ({"graders": ["bleu"]}, "evaluation.graders.0: Input tag 'bleu' found using 'type' does not match"),
        ({"graders": ["llm_judge"]}, 'llm_judge needs an object: {"type": "llm_judge", "deployment"'),
        ({"graders": []}, "evaluation.graders: between 1 and 8 graders"),
        ({"graders": ["token_f1", "token_f1"]}, "repeated: token_f1"),
        ({"graders": [{"type": "llm_judge"}], "primary": "llm_judge"}, "deployment: Field required"),
        ({"graders": [{"type": "llm_judge", "deployment": "x"}]}, "deployment: 2-64 characters"),
        (
            {"graders": [{"type": "llm_judge", "deployment": "gpt-4.1", "name": "token_f1"}]},
            "built-in grader",
        ),
        ({"graders": [{"type": "llm_judge", "deployment": "gpt-4.1", "rubric": "r" * 2001}]}, "at most 2000"),
        ({"graders": [{"type": "llm_judge", "deployment": "gpt-4.1", "rubric": ""}]}, "at least 1 character"),
        ({"dataset": "../training.jsonl"}, "evaluation.dataset: a plain .jsonl file name in the run folder"),
        ({"dataset": "runs/eval.jsonl"}, "evaluation.dataset: a plain .jsonl file name"),
        ({"dataset": "eval.csv"}, "evaluation.dataset: a plain .jsonl file name"),
        ({"dataset": "eval.jsonl\n"}, "evaluation.dataset: a plain .jsonl file name"),
        ({"dataset": "training.jsonl"}, "cannot be the training file"),
        ({"max_examples": 0}, "evaluation.max_examples: Input should be greater than or equal to 1"),
        ({"max_examples": 2001}, "evaluation.max_examples: Input should be less than or equal to 2000"),
        ({"min_improvement": -0.1}, "evaluation.min_improvement: Input should be greater than or equal to 0"),
        ({"min_improvement": 1}, "evaluation.min_improvement: Input should be less than 1"),
        ({"min_score": 1.5}, "evaluation.min_score: Input should be less than or equal to 1"),
        ({"candidates": "all"}, "evaluation.candidates: Input should be 'final', 'best_checkpoint' or"),
        ({"baseline_deployment": "a"}, "evaluation.baseline_deployment: 2-64 characters"),
        ({"baseline_deployment": "gpt 4o"}, "evaluation.baseline_deployment: 2-64 characters"),
        ({"evaluation_sku": "Developer Tier"}, "evaluation.evaluation_sku: a SKU name"),
        ({"primay": "token_f1"}, "evaluation.primay: Extra inputs are not permitted"),
        ([], "Input should be a valid dictionary"),
    ],
)
def test_every_rule_names_its_field(block: Any, message: str) -> None:
    with pytest.raises(EvaluationOptionsError) as raised:
        parse_evaluation_options(block, "incoming/demo/run.json")
    text = str(raised.value)
    assert text.startswith("incoming/demo/run.json: ")
    assert message in text


def test_options_are_frozen() -> None:
    options = EvaluationOptions()
    with pytest.raises(ValueError, match="frozen"):
        options.min_improvement = 0.5  # type: ignore[misc]


def test_layers_merge_field_by_field_over_the_settings_defaults() -> None:
    defaults = EvaluationOptions(baseline_deployment="gpt-4o", min_improvement=0.05)
    run_json = parse_evaluation_options({"max_examples": 20}, "run.json")
    body = parse_evaluation_options({"graders": ["exact_match"], "primary": "exact_match"}, "body")
    merged = merge_evaluation_options(defaults, run_json, None, body)
    assert merged.baseline_deployment == "gpt-4o"  # from the settings, untouched by the layers
    assert merged.min_improvement == 0.05
    assert merged.max_examples == 20
    assert [grader.name for grader in merged.graders] == ["exact_match"]


def test_a_merge_that_contradicts_itself_is_refused_with_the_source() -> None:
    defaults = EvaluationOptions()
    run_json = parse_evaluation_options({"graders": ["exact_match"], "primary": "exact_match"}, "run.json")
    body = parse_evaluation_options({"graders": ["token_f1"]}, "body")  # valid alone: primary is token_f1
    assert merge_evaluation_options(defaults, body, run_json).primary == "exact_match"
    # the body replaces run.json's graders but not its primary, which is then no grader at all
    with pytest.raises(EvaluationOptionsError, match=r"^options: evaluation: primary: 'exact_match' is not"):
        merge_evaluation_options(defaults, run_json, body, source="options")
