"""data/sample/eval.jsonl: valid, evaluable, in the training data's style, and new."""

from __future__ import annotations

import json
from pathlib import Path

from tuning.evaluation import normalize_text, read_eval_examples
from tuning.validation import validate_path

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


def conversations(name: str) -> list[list[dict[str, str]]]:
    lines = (SAMPLE / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["messages"] for line in lines if line.strip()]


def test_the_eval_set_passes_the_project_validator() -> None:
    report = validate_path(SAMPLE / "eval.jsonl", "gpt-4o-2024-08-06")
    assert (report.errors, report.duplicates) == ([], 0)
    assert 12 <= report.examples <= 20


def test_every_example_is_evaluable_with_the_training_system_prompt() -> None:
    with (SAMPLE / "eval.jsonl").open("rb") as stream:
        eval_set = read_eval_examples(stream, 100, source="eval.jsonl")
    assert eval_set.skipped == {} and eval_set.evaluable == len(eval_set.examples)
    (system,) = {conversation[0]["content"] for conversation in conversations("training.jsonl")}
    for example in eval_set.examples:
        assert [message.role for message in example.prompt] == ["system", "user"]
        assert example.prompt[0].content == system


def test_no_question_or_answer_is_taken_from_the_training_or_validation_files() -> None:
    seen = {
        normalize_text(message["content"])
        for name in ("training.jsonl", "validation.jsonl")
        for conversation in conversations(name)
        for message in conversation[1:]
    }
    for conversation in conversations("eval.jsonl"):
        for message in conversation[1:]:
            assert normalize_text(message["content"]) not in seen, message["content"]
