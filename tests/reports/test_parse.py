"""parse_step_metrics: the Azure OpenAI fine-tuning result CSV."""

from __future__ import annotations

import pytest

from tuning.reports import StepMetric, parse_step_metrics

HEADER = "step,train_loss,train_mean_token_accuracy,valid_loss,valid_mean_token_accuracy"


def test_parses_every_column() -> None:
    text = f"{HEADER}\n1,2.5,0.41,2.7,0.39\n2,2.25,0.45,2.5,0.43\n"
    assert parse_step_metrics(text) == [
        StepMetric(1, 2.5, 0.41, 2.7, 0.39),
        StepMetric(2, 2.25, 0.45, 2.5, 0.43),
    ]


def test_empty_cells_are_none() -> None:
    """Validation is measured only every few steps; the other rows leave those cells empty."""
    text = f"{HEADER}\n1,2.5,0.41,,\n2,2.25,0.45,2.5,0.43\n"
    assert parse_step_metrics(text)[0] == StepMetric(1, 2.5, 0.41, None, None)


def test_extra_columns_are_ignored_and_order_does_not_matter() -> None:
    text = (
        "train_loss,step,full_valid_loss,train_mean_token_accuracy,valid_loss,"
        "valid_mean_token_accuracy,full_valid_mean_token_accuracy\n"
        "1.5,7,9.9,0.5,1.75,0.48,0.1\n"
    )
    assert parse_step_metrics(text) == [StepMetric(7, 1.5, 0.5, 1.75, 0.48, 9.9, 0.1)]


def test_missing_known_column_reads_as_not_measured() -> None:
    assert parse_step_metrics("step,train_loss\n3,0.5\n") == [StepMetric(3, 0.5, None, None, None)]


def test_crlf_blank_lines_and_byte_order_mark() -> None:
    text = f"\ufeff{HEADER}\r\n\r\n1,2.5,0.41,,\r\n\r\n2,2.0,0.5,2.1,0.49\r\n\r\n"
    assert [metric.step for metric in parse_step_metrics(text)] == [1, 2]


@pytest.mark.parametrize("text", ["", "\n\n", f"{HEADER}\n", f"{HEADER}\r\n\r\n"])
def test_no_rows_is_an_empty_list(text: str) -> None:
    assert parse_step_metrics(text) == []


@pytest.mark.parametrize(
    ("text", "line", "detail"),
    [
        (f"{HEADER}\n1,2.5,0.4,,\n2,abc,0.5,,\n", 3, "train_loss"),
        (f"{HEADER}\n\n1,2.5,0.4,,\n2,2.4,0.5\n", 4, "expected 5 cells, found 3"),
        (f"{HEADER}\n1.5,2.5,0.4,,\n", 2, "step"),
        (f"{HEADER}\n,2.5,0.4,,\n", 2, "step"),
        ("loss,accuracy\n1,2\n", 1, "'step'"),
    ],
)
def test_malformed_input_names_the_line(text: str, line: int, detail: str) -> None:
    with pytest.raises(ValueError, match=rf"^line {line}: .*{detail}"):
        parse_step_metrics(text)
