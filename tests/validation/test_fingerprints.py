"""Duplicates, conflicting answers and leakage from the training file (validate_files)."""

from __future__ import annotations

import io

import pytest

from tests.validation.builders import chat, jsonl, preference, simple, source, validate_bytes, with_padding
from tuning.catalog import UnsupportedCombinationError
from tuning.validation import DatasetSource, validate_files
from tuning.validation.fingerprints import BYTES_PER_EXAMPLE, Fingerprints, normalized


def _other(index: int) -> dict[str, object]:
    return simple(100 + index)


def test_normalisation_ignores_ascii_case_and_whitespace() -> None:
    assert (
        normalized(" The  Answer:\n\tParis.\r\n") == normalized("the answer: paris.") == b"theanswer:paris."
    )
    assert normalized("Straße 東京") == "straße東京".encode()
    assert normalized("a b") != normalized("a-b")


def test_duplicates_and_conflicts_name_the_earlier_line() -> None:
    data = jsonl(
        [
            *(simple(index) for index in range(10)),
            chat(("user", "Question 1?"), ("assistant", "ANSWER 1.")),  # line 11: a copy of line 2
            chat(("user", "question 2?"), ("assistant", "something else")),  # line 12: conflicts with 3
            simple(2),  # line 13: a copy of line 3, after a conflicting answer (line 12)
        ]
    )
    report = validate_bytes(data)
    found = sorted((issue.line, issue.code, issue.message) for issue in report.warnings)
    assert [(line, code) for line, code, _ in found] == [
        (11, "duplicate_example"),
        (12, "conflicting_answers"),
        (13, "conflicting_answers"),
        (13, "duplicate_example"),
    ]
    assert "line 2" in found[0][2] and "line 3" in found[1][2] and "line 3" in found[3][2]
    assert report.duplicates == 2 and report.valid


def test_system_prompts_and_roles_are_part_of_the_prompt() -> None:
    data = with_padding(
        chat(("user", "question 1?"), ("assistant", "other"), system="You are chatty."),
        chat(("assistant", "question 1?"), ("user", "answer 1.")),
    )
    assert validate_bytes(data).warning_counts.get("conflicting_answers") is None


def test_preference_prompts_are_the_input_messages() -> None:
    other_answer = preference(3)
    other_answer["preferred_output"] = [{"role": "assistant", "content": "a better answer"}]
    report = validate_bytes(with_padding(other_answer, base=preference), model="gpt-4.1-mini")
    assert [(issue.line, issue.code) for issue in report.warnings] == [(11, "conflicting_answers")]


def test_validation_and_eval_files_are_checked_against_training_with_a_rate() -> None:
    training = with_padding()
    leaking = jsonl(
        [
            *(_other(index) for index in range(8)),
            simple(4),
            chat(("user", "QUESTION 5?"), ("assistant", "answer 5.")),
        ]
    )
    clean = with_padding(base=_other)
    reports = validate_files(
        [source("validation", leaking), source("training", training), source("eval", clean)], workers=1
    )
    assert [report.kind for report in reports] == ["validation", "training", "eval"]  # the order given
    validation, training_report, evaluation = reports
    assert [issue.line for issue in validation.warnings if issue.code == "overlaps_training"] == [9, 10]
    assert (validation.overlapping_examples, validation.overlap_rate) == (2, 0.2)
    assert (evaluation.overlapping_examples, evaluation.overlap_rate) == (0, 0.0)
    assert training_report.overlap_rate is None and training_report.to_dict()["overlap"]["rate"] is None


def test_without_a_training_file_nothing_is_compared() -> None:
    (report,) = validate_files([source("validation", with_padding())], workers=1)
    assert report.overlap_rate is None and report.valid


def test_unsupported_combinations_fail_before_anything_is_read() -> None:
    def never_opened() -> io.BytesIO:
        raise AssertionError("opened")

    files = [DatasetSource("training", "t.jsonl", never_opened)]
    with pytest.raises(
        UnsupportedCombinationError, match="supports methods supervised and training types Standard"
    ):
        validate_files(files, model="gpt-35-turbo", training_type="GlobalStandard")
    with pytest.raises(UnsupportedCombinationError, match="'dpo'"):
        validate_files(files, model="gpt-4.1-nano", method="dpo")
    with pytest.raises(ValueError, match="one training file"):
        validate_files([*files, DatasetSource("training", "u.jsonl", never_opened)])


def test_the_estimate_uses_the_training_types_price() -> None:
    prices: dict[str, float | None] = {}
    for kind in ("Standard", "GlobalStandard", "Developer"):
        (report,) = validate_files(
            [source("training", with_padding())], training_type=kind, n_epochs=1, workers=1
        )
        prices[kind] = report.estimate.price_per_1m_tokens
        assert report.training_type == kind
    assert list(prices.values()) == [25.0, 22.5, 11.25]  # the documented ratios: 0.9, then 0.5


def test_fingerprints_take_twenty_bytes_per_example_and_the_index_eight() -> None:
    fingerprints = Fingerprints()
    for line in range(1, 1001):
        fingerprints.add(line, line * 7919, line % 13)
    assert len(fingerprints) == 1000 and fingerprints.nbytes == BYTES_PER_EXAMPLE * 1000
    assert fingerprints.index().nbytes == 8 * 1000
    duplicates, conflicts = fingerprints.repeats()
    assert duplicates == [] and conflicts == []
