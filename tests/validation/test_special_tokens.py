"""Special tokens: the set comes from the encodings, every token is found with its message and
line, in plain and JSON-escaped text, whichever encoding the model uses."""

from __future__ import annotations

import json

import pytest

from tests.validation.builders import chat, jsonl, validate_bytes, with_padding
from tuning.tokenizers import get_encoding
from tuning.validation.special_tokens import CHAT_MARKUP_TOKENS, SpecialTokens

ENCODINGS = {"o200k_base": "gpt-4o", "cl100k_base": "gpt-35-turbo"}


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_the_set_is_every_encodings_own_plus_the_chat_markup(encoding: str) -> None:
    tokens = SpecialTokens(get_encoding(encoding)).tokens
    every_encodings = set().union(*(get_encoding(name).special_tokens_set for name in ENCODINGS))
    assert tokens == every_encodings | CHAT_MARKUP_TOKENS
    assert get_encoding(encoding).special_tokens_set < tokens
    assert {"<|endoftext|>", "<|endofprompt|>", "<|fim_suffix|>", "<|im_start|>"} <= tokens


def _tokens_of_both() -> list[tuple[str, str]]:
    return [
        (encoding, token)
        for encoding in sorted(ENCODINGS)
        for token in sorted(SpecialTokens(get_encoding(encoding)).tokens)
    ]


@pytest.mark.parametrize(("encoding", "token"), _tokens_of_both())
def test_every_token_is_an_error_naming_token_message_and_line(encoding: str, token: str) -> None:
    example = chat(("user", "q"), ("assistant", f"done.{token} more"))
    report = validate_bytes(with_padding(example), model=ENCODINGS[encoding])
    assert report.error_counts == {"special_token": 1}, report.to_dict()
    (issue,) = report.errors
    assert (issue.line, issue.message_index, issue.kind) == (11, 2, token)
    assert token in issue.message and "message 2" in issue.message
    assert report.over_limit == 0 and report.lengths.counts  # counted, not crashed


@pytest.mark.parametrize("model", ["gpt-35-turbo", "gpt-4o", "gpt-4.1-nano"])
def test_a_fill_in_the_middle_token_is_refused_whatever_the_encoding(model: str) -> None:
    """`<|fim_suffix|>` is special only in cl100k_base, but the service refuses it in the data of
    o200k models too: one such example fails a job hours in."""
    data = with_padding(chat(("user", "complete <|fim_suffix|>"), ("assistant", "ok")))
    report = validate_bytes(data, model=model)
    assert [(issue.code, issue.line, issue.kind) for issue in report.errors] == [
        ("special_token", 11, "<|fim_suffix|>")
    ]


@pytest.mark.parametrize(
    "line",
    [
        b'{"messages": [{"role": "user", "content": "\\u003c|endoftext|\\u003e"}, '
        b'{"role": "assistant", "content": "a"}]}',
        b'{"messages": [{"role": "user", "content": "<\\u007cendoftext\\u007C>"}, '
        b'{"role": "assistant", "content": "a"}]}',
    ],
    ids=["escaped angle brackets", "escaped bars"],
)
def test_json_escapes_do_not_hide_a_token(line: bytes) -> None:
    report = validate_bytes(with_padding(line))
    assert [(issue.line, issue.kind) for issue in report.errors] == [(11, "<|endoftext|>")]


def test_names_and_tool_arguments_are_checked_too() -> None:
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"x": "<|im_end|>"}'}}
    example = {
        "messages": [
            {"role": "user", "content": "hi", "name": "<|im_start|>bob"},
            {"role": "assistant", "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "c1", "content": "ok"},
            {"role": "assistant", "content": "done"},
        ]
    }
    report = validate_bytes(with_padding(example))
    assert sorted((issue.message_index, issue.kind) for issue in report.errors) == [
        (0, "<|im_start|>"),
        (1, "<|im_end|>"),
    ]


def test_a_line_gate_miss_is_a_clean_line() -> None:
    """The byte gate is a shortcut, never a filter: text with bars but no token is valid."""
    data = jsonl(
        [chat(("user", f"a | b | {index}"), ("assistant", "<| not a token |>")) for index in range(10)]
    )
    report = validate_bytes(data)
    assert report.valid, report.to_dict()
    assert json.dumps(report.to_dict())  # serialisable
