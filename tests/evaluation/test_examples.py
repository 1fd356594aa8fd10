"""Reading the eval set: prompt/reference split, skipped examples by reason, selection, errors."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from tuning.evaluation import EvalExample, EvalSetError, PromptMessage, read_eval_examples

SYSTEM = {"role": "system", "content": "Clippy is a factual chatbot that is also sarcastic."}


def chat(question: str, answer: str, **extra: Any) -> dict[str, Any]:
    return {
        "messages": [SYSTEM, {"role": "user", "content": question}, {"role": "assistant", "content": answer}],
        **extra,
    }


def jsonl(*records: Any) -> io.BytesIO:
    return io.BytesIO(b"".join(json.dumps(record).encode() + b"\n" for record in records))


def test_last_assistant_message_is_the_reference_and_earlier_turns_the_prompt() -> None:
    conversation = {
        "messages": [
            SYSTEM,
            {"role": "user", "content": "Capital of France?"},
            {"role": "assistant", "content": "Paris.", "weight": 0},
            {"role": "user", "content": "And of Italy?"},
            {"role": "assistant", "content": "Rome, obviously."},
        ]
    }
    eval_set = read_eval_examples(jsonl(chat("Q?", "A."), conversation), 10)
    second = eval_set.examples[1]
    assert (second.index, second.line, second.reference) == (1, 2, "Rome, obviously.")
    assert [message.role for message in second.prompt] == ["system", "user", "assistant", "user"]
    assert second.chat_messages()[2] == {"role": "assistant", "content": "Paris."}  # weight dropped
    assert (eval_set.lines, eval_set.evaluable, eval_set.skipped, eval_set.selection) == (2, 2, {}, "all")


def test_examples_are_json_serialisable_payloads() -> None:
    example = read_eval_examples(jsonl(chat("Q?", "A.")), 1).examples[0]
    assert EvalExample.model_validate(json.loads(example.model_dump_json())) == example


def test_preference_examples_use_the_preferred_output() -> None:
    record = {
        "input": {"messages": [{"role": "user", "content": "Best ocean?"}]},
        "preferred_output": [{"role": "assistant", "content": "The Pacific, obviously."}],
        "non_preferred_output": [{"role": "assistant", "content": "Lake Geneva."}],
    }
    (example,) = read_eval_examples(jsonl(record), 5).examples
    assert example.prompt == (PromptMessage(role="user", content="Best ocean?"),)
    assert example.reference == "The Pacific, obviously."


def test_unevaluable_examples_are_skipped_and_counted_by_reason() -> None:
    records = [
        chat("Q1?", "A1."),
        {"messages": [SYSTEM, {"role": "user", "content": "no answer"}]},
        {"messages": []},
        {"prompt": "legacy completion format", "completion": "x"},
        chat("Q2?", "   "),
        {"messages": [SYSTEM, {"role": "assistant", "content": "no user turn"}]},
        {
            "messages": [
                {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x/y.png"}}]},
                {"role": "assistant", "content": "A cat."},
            ]
        },
        {
            "messages": [
                {"role": "user", "content": "Weather?"},
                {"role": "assistant", "tool_calls": [{"id": "1"}]},
                {"role": "tool", "content": "sunny"},
                {"role": "assistant", "content": "Sunny."},
            ]
        },
        chat("Q3?", "A3."),
    ]
    eval_set = read_eval_examples(jsonl(*records), 10)
    assert [example.reference for example in eval_set.examples] == ["A1.", "A3."]
    assert [example.line for example in eval_set.examples] == [1, 9]
    assert eval_set.skipped == {
        "empty_reference": 1,
        "no_final_assistant": 3,
        "no_user_message": 1,
        "unsupported_message": 2,
    }
    assert (eval_set.lines, eval_set.evaluable) == (9, 2)


def test_bom_crlf_and_blank_lines_are_accepted() -> None:
    body = (
        b"\xef\xbb\xbf"
        + json.dumps(chat("Q?", "A.")).encode()
        + b"\r\n\r\n  \n"
        + json.dumps(chat("R?", "B.")).encode()
    )
    eval_set = read_eval_examples(io.BytesIO(body), 5)
    assert [(example.line, example.reference) for example in eval_set.examples] == [(1, "A."), (4, "B.")]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"messages": []}\n{"messages": [\n', "eval.jsonl line 2: invalid_json: "),
        (b'["a list"]\n', "eval.jsonl line 1: not_an_object: each line must be a JSON object"),
        (b'{"messages": "\xff"}\n', "eval.jsonl line 1: invalid_utf8: the line is not UTF-8"),
        (b"", "eval.jsonl: no_evaluable_examples: no example can be evaluated (empty file)"),
        (b'{"messages": []}\n{"messages": []}\n', "(no_final_assistant 2)"),
    ],
)
def test_bad_files_name_the_file_line_and_rule(body: bytes, message: str) -> None:
    with pytest.raises(EvalSetError) as raised:
        read_eval_examples(io.BytesIO(body), 10)
    assert message in str(raised.value)


def test_max_examples_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        read_eval_examples(jsonl(chat("Q?", "A.")), 0)


def many(count: int) -> list[dict[str, Any]]:
    return [chat(f"Question {number}?", f"Answer {number}.") for number in range(count)]


def test_a_larger_file_yields_a_deterministic_order_free_sample_in_file_order() -> None:
    records = many(50)
    first = read_eval_examples(jsonl(*records), 10)
    assert first.selection == "hash_sample"
    assert (first.evaluable, len(first.examples)) == (50, 10)
    lines = [example.line for example in first.examples]
    assert lines == sorted(lines) and lines != list(range(1, 11))  # not simply the first ten
    assert [example.index for example in first.examples] == list(range(10))
    assert read_eval_examples(jsonl(*records), 10) == first
    # the choice depends on the examples, not on where they sit in the file
    reversed_set = read_eval_examples(jsonl(*reversed(records)), 10)
    assert {e.reference for e in reversed_set.examples} == {e.reference for e in first.examples}
    # reformatting the JSON changes nothing
    compact = io.BytesIO(b"".join(json.dumps(r, separators=(",", ":")).encode() + b"\n" for r in records))
    assert [e.reference for e in read_eval_examples(compact, 10).examples] == [
        e.reference for e in first.examples
    ]


def test_the_sample_is_pinned() -> None:
    """The sample is part of the report's meaning: a change of salt or hash must be deliberate."""
    chosen = [example.reference for example in read_eval_examples(jsonl(*many(20)), 3).examples]
    assert chosen == PINNED_SAMPLE


PINNED_SAMPLE = ["Answer 7.", "Answer 15.", "Answer 18."]


def test_appending_examples_keeps_most_of_the_selection() -> None:
    before = {e.reference for e in read_eval_examples(jsonl(*many(100)), 20).examples}
    after = {e.reference for e in read_eval_examples(jsonl(*many(110)), 20).examples}
    assert len(before & after) >= 15  # only new examples that hash lower can displace old ones
