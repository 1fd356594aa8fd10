"""Token counts: exactly the lab's numbers on lab-compatible data, and the documented rules for
what the lab could not count (weights, tool calls, content parts, images, DPO, special tokens)."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from bench.lab import lab_counts
from tests.validation.builders import (
    Example,
    chat,
    jsonl,
    preference,
    random_chat,
    random_text,
    validate_bytes,
    with_padding,
)
from tests.validation.test_rules import TOOL_FLOW
from tuning.catalog import resolve_model
from tuning.tokenizers import get_encoding, ordinary_token_counter
from tuning.validation import memo
from tuning.validation.checking import CheckSettings, LineOutcome, check_line, line_tools
from tuning.validation.counting import ExampleCounts, TextReader


def _check(number: int, example: Example, encoding: str = "o200k_base") -> LineOutcome:
    spec = resolve_model("gpt-4o")
    settings = CheckSettings(encoding, 1_000_000, spec.name, spec.supports_images, data_scan="off")
    return check_line(number, json.dumps(example).encode(), line_tools(settings))


@pytest.mark.parametrize("encoding_name", ["o200k_base", "cl100k_base"])
def test_counts_equal_the_lab_on_generated_data(encoding_name: str, tmp_path) -> None:
    rng = random.Random(105)
    examples = [random_chat(rng) for _ in range(300)]
    assert sum("name" in m for e in examples for m in e["messages"]) > 30  # names are exercised
    path = tmp_path / "generated.jsonl"
    path.write_bytes(jsonl(examples))
    encoding = get_encoding(encoding_name)
    expected = lab_counts(encoding, path)

    for number, (example, (total, assistant)) in enumerate(zip(examples, expected, strict=True), start=1):
        counts = _check(number, example, encoding_name).counts
        assert counts is not None and (counts.total, counts.assistant) == (total, assistant), example

    report = validate_bytes(path.read_bytes(), encoding=encoding_name)
    assert report.valid_examples == 300
    assert report.total_tokens.sum == sum(total for total, _ in expected)
    assert report.assistant_tokens.sum == sum(assistant for _, assistant in expected)
    assert report.total_tokens.max == max(total for total, _ in expected)


def _counts(example: Example, encoding: str = "o200k_base") -> ExampleCounts:
    outcome = _check(1, example, encoding)
    assert outcome.errors == [] and outcome.counts is not None, outcome.errors
    return outcome.counts


def _tokens(text: str) -> int:
    return len(get_encoding("o200k_base").encode(text, disallowed_special=()))


def test_non_ascii_escaped_or_not_counts_the_same() -> None:
    example = chat(("user", "Zoë in 東京 🙂"), ("assistant", "Привет, naïve café"))
    raw = (json.dumps(example, ensure_ascii=False) + "\n").encode()
    escaped = (json.dumps(example, ensure_ascii=True) + "\n").encode()
    assert (
        validate_bytes(with_padding(raw)).total_tokens.sum
        == validate_bytes(with_padding(escaped)).total_tokens.sum
    )
    assert _counts(example).assistant == _tokens("Привет, naïve café")


def test_special_token_text_is_counted_as_text() -> None:
    """The example is an error (special_token), but counting it does not crash and counts the
    token's characters as ordinary text."""
    text = "ends with <|endoftext|> and <|endofprompt|>"
    with pytest.raises(ValueError):
        get_encoding("o200k_base").encode(text)  # what the lab's code would hit
    outcome = _check(1, chat(("user", "q"), ("assistant", text), system=None))
    assert [error.code for error in outcome.errors] == ["special_token", "special_token"]
    assert outcome.counts is not None and outcome.counts.assistant == _tokens(text) > 2


def test_weight_and_non_string_fields_add_nothing() -> None:
    plain = chat(("user", "q"), ("assistant", "a"))
    weighted = json.loads(json.dumps(plain))
    weighted["messages"][-1]["weight"] = 0
    assert _counts(weighted) == _counts(plain)


def test_tool_calls_count_only_role_content_and_name() -> None:
    counts = _counts(TOOL_FLOW)
    messages: list[dict[str, Any]] = TOOL_FLOW["messages"]
    expected = 3 + sum(3 + _tokens(m["role"]) + _tokens(m.get("content") or "") for m in messages)
    assert counts.total == expected
    assert counts.assistant == _tokens("It is 42.")


def test_content_parts_count_text_parts_and_images_count_zero() -> None:
    parts = [
        {"type": "text", "text": "what is in"},
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
        {"type": "text", "text": " this picture?"},
    ]
    with_image: Example = {
        "messages": [{"role": "user", "content": parts}, {"role": "assistant", "content": "a cat"}]
    }
    counts = _counts(with_image)
    assert counts.images == 1
    assert counts.total == 3 + (3 + _tokens("user") + _tokens("what is in") + _tokens(" this picture?")) + (
        3 + _tokens("assistant") + _tokens("a cat")
    )
    report = validate_bytes(with_padding(with_image))
    assert report.images == 1 and report.valid


def test_preference_counts_prompt_and_both_outputs() -> None:
    example = preference(1)
    counts = _counts(example)
    assert counts.messages == 3
    assert counts.assistant == _tokens("good answer 1") + _tokens("bad answer 1")
    assert (
        counts.total
        == 3
        + 3 * 3
        + 3 * 0
        + _tokens("user")
        + 2 * _tokens("assistant")
        + _tokens("question 1?")
        + counts.assistant
    )


def test_preference_file_is_valid_on_a_dpo_model() -> None:
    report = validate_bytes(with_padding(base=preference), model="gpt-4.1-mini")
    assert report.valid and report.format == "preference" and report.valid_examples == 10


def test_names_count_one_extra_token() -> None:
    unnamed = chat(("user", "q"), ("assistant", "a"))
    named = json.loads(json.dumps(unnamed))
    named["messages"][1]["name"] = "alice"
    assert _counts(named).total == _counts(unnamed).total + _tokens("alice") + 1


@pytest.mark.parametrize("encoding_name", ["o200k_base", "cl100k_base"])
def test_the_token_counter_counts_as_encode_ordinary(encoding_name: str) -> None:
    """The list-free counter (tiktoken's core, into a buffer) against encode_ordinary itself, on
    text the two paths could read differently: special tokens of both encodings and chat markup,
    lone surrogates (which only the wrapper repairs), whitespace runs, scripts, nothing at all."""
    encoding = get_encoding(encoding_name)
    count = ordinary_token_counter(encoding)
    rng = random.Random(5)
    texts = [
        "",
        "<|endoftext|><|fim_prefix|>x<|fim_middle|><|fim_suffix|><|endofprompt|><|im_start|>",
        "lone \ud800 surrogate and a pair \U0001f642",
        "  \n\n\t  trailing spaces   \r\n",
        *(random_text(rng, 1, 400) for _ in range(200)),
    ]
    assert [count(text) for text in texts] == [len(encoding.encode_ordinary(text)) for text in texts]
    assert count.__name__ == "buffered"  # the fast path is in use, not the fallback


def test_a_batch_reads_as_its_examples_one_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading a batch's new texts ahead changes nothing, with repeats inside the batch, texts too
    long to remember, and the memory emptied mid-batch."""
    monkeypatch.setattr(memo, "MAX_REMEMBERED", 8)
    rng = random.Random(9)
    batch = [random_chat(rng)["messages"] for _ in range(200)]
    long_text = [{"role": "user", "content": "x " * 5000}, {"role": "assistant", "content": "y" * 5000}]
    batch += [batch[3], long_text, long_text, batch[3]]
    encoding = get_encoding("o200k_base")
    one_at_a_time = TextReader(encoding)
    assert TextReader(encoding).examples(batch) == [one_at_a_time.example(messages) for messages in batch]
