"""Every rule code, with a failing and a passing case."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.validation.builders import (
    Example,
    chat,
    preference,
    simple,
    source,
    validate_bytes,
    with_padding,
)
from tuning.validation import ValidationReport, lines, validate_files, vision
from tuning.validation.issues import ERROR_CODES, WARNING_CODES

TOOL_CALL = {"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": '{"q": 1}'}}
TOOL_FLOW: Example = {
    "messages": [
        {"role": "user", "content": "look it up"},
        {"role": "assistant", "tool_calls": [TOOL_CALL]},
        {"role": "tool", "tool_call_id": "call_1", "content": "42"},
        {"role": "assistant", "content": "It is 42."},
    ],
    "tools": [{"type": "function", "function": {"name": "lookup", "parameters": {}}}],
}


def _message(**fields: object) -> Example:
    return {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a", **fields}]}


def _replace_user(**fields: object) -> Example:
    return {"messages": [{"role": "system", "content": "s"}, fields, {"role": "assistant", "content": "a"}]}


def _images(*urls: str) -> Example:
    parts = [{"type": "image_url", "image_url": {"url": url}} for url in urls]
    return {
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "what?"}, *parts]},
            {"role": "assistant", "content": "a cat"},
        ]
    }


def _says(text: str) -> Example:
    return chat(("user", text), ("assistant", "noted"))


def _other(index: int) -> Example:
    """Padding for a validation file: examples the training file (plain padding) does not hold."""
    return simple(100 + index)


PNG = "https://example.com/cat.png"
TRAINING = with_padding()


@dataclass
class Case:
    code: str
    failing: bytes
    passing: bytes
    options: dict[str, Any] = field(default_factory=dict)
    line: int | None = 11  # where the failing case's issue is, None for file-level
    line_limit: int | None = None  # a smaller lines.MAX_LINE_BYTES, to keep the file tiny
    training: bytes | None = None  # validate as a validation file against this training file
    patch: tuple[object, str, object] | None = None  # (module, name, value) while validating


CASES = [
    Case(
        "invalid_utf8",
        with_padding(b'{"messages": "caf\xe9"}'),
        with_padding(chat(("user", "café"), ("assistant", "ok"))),
    ),
    Case("invalid_json", with_padding('{"messages": [}'), with_padding(simple())),
    Case("not_an_object", with_padding("[1, 2]"), with_padding(simple())),
    Case("missing_messages", with_padding({}), with_padding(simple())),
    Case("messages_not_list", with_padding({"messages": []}), with_padding(simple())),
    Case(
        "message_not_object",
        with_padding({"messages": ["hi", {"role": "assistant", "content": "a"}]}),
        with_padding(simple()),
    ),
    Case(
        "missing_role",
        with_padding(_replace_user(content="q")),
        with_padding(_replace_user(role="user", content="q")),
    ),
    Case(
        "unrecognized_role",
        with_padding(_replace_user(role="bot", content="q")),
        with_padding(_replace_user(role="user", content="q")),
    ),
    Case("missing_content", with_padding(_replace_user(role="user")), with_padding(TOOL_FLOW)),
    Case(
        "invalid_content",
        with_padding(_replace_user(role="user", content=5)),
        with_padding(_replace_user(role="user", content=[{"type": "text", "text": "q"}])),
    ),
    Case(
        "invalid_name",
        with_padding(_replace_user(role="user", content="q", name=5)),
        with_padding(_replace_user(role="user", content="q", name="ann")),
    ),
    Case("invalid_tool_calls", with_padding(_message(tool_calls="lookup")), with_padding(TOOL_FLOW)),
    Case("unrecognized_key", with_padding({**simple(), "extra": 1}), with_padding({**simple(), "tools": []})),
    Case(
        "no_assistant_message",
        with_padding(chat(("user", "q"))),
        with_padding(chat(("user", "q"), ("assistant", "a"))),
    ),
    Case("invalid_weight", with_padding(_message(weight=2)), with_padding(_message(weight=0))),
    Case(
        "too_many_tokens",
        with_padding(chat(("user", "word " * 17_000), ("assistant", "a"))),
        with_padding(chat(("user", "word " * 16_000), ("assistant", "a"))),
        {"model": "gpt-35-turbo"},
    ),
    Case("mixed_formats", with_padding(preference()), with_padding(simple(99))),
    Case(
        "missing_input",
        with_padding({k: v for k, v in preference().items() if k != "input"}, base=preference),
        with_padding(preference(99), base=preference),
    ),
    Case(
        "invalid_input",
        with_padding({**preference(), "input": "q"}, base=preference),
        with_padding(preference(99), base=preference),
    ),
    Case(
        "missing_output",
        with_padding({k: v for k, v in preference().items() if k != "non_preferred_output"}, base=preference),
        with_padding(preference(99), base=preference),
    ),
    Case(
        "invalid_output",
        with_padding({**preference(), "preferred_output": "good"}, base=preference),
        with_padding(preference(99), base=preference),
    ),
    Case(
        "unsupported_method",
        with_padding(base=preference),
        with_padding(base=preference),
        {"model": "gpt-4o-mini"},
        None,
    ),
    Case("empty_file", b"\n", with_padding(), line=None),
    Case("too_few_examples", with_padding(count=9), with_padding(count=10), line=None),
    Case("file_too_large", with_padding(), with_padding(), {"max_file_bytes": 100}, None),
    Case(
        "line_too_long",
        with_padding(chat(("user", "x" * 300), ("assistant", "a"))),
        with_padding(simple(99)),
        line_limit=300,
    ),
    Case("bom", b"\xef\xbb\xbf" + with_padding(), with_padding(), line=1),
    Case("crlf", with_padding().replace(b"\n", b"\r\n"), with_padding(), line=1),
    Case("blank_line", with_padding(b"  "), with_padding()),
    Case("empty_content", with_padding(chat(("user", " "), ("assistant", "a"))), with_padding(simple(99))),
    Case(
        "missing_system_message",
        with_padding(chat(("user", "q"), ("assistant", "a"), system=None)),
        with_padding(simple(99)),
    ),
    Case("missing_user_message", with_padding(chat(("assistant", "a"))), with_padding(simple(99))),
    Case(
        "last_message_not_assistant",
        with_padding(chat(("user", "q"), ("assistant", "a"), ("user", "q"))),
        with_padding(simple(99)),
    ),
    Case("duplicate_example", with_padding(simple(3)), with_padding(simple(99))),
    Case(
        "special_token",
        with_padding(chat(("user", "q"), ("assistant", "the end<|endoftext|>"))),
        with_padding(chat(("user", "q"), ("assistant", "the end <endoftext>"))),
    ),
    Case(
        "images_not_supported",
        with_padding(_images(PNG)),
        with_padding(_images(PNG)),
        {"model": "gpt-4o-mini"},
    ),
    Case("invalid_image", with_padding(_images("ftp://example.com/cat.png")), with_padding(_images(PNG))),
    Case(
        "image_too_large",
        with_padding(_images("data:image/png;base64," + "A" * 200)),
        with_padding(_images("data:image/png;base64," + "A" * 100)),
        patch=(vision, "MAX_IMAGE_BYTES", 100),
    ),
    Case("too_many_images", with_padding(_images(*[PNG] * 65)), with_padding(_images(*[PNG] * 64))),
    Case(
        "method_mismatch",
        with_padding(base=preference),
        with_padding(base=preference),
        {"method": "supervised"},
        None,
    ),
    Case(
        "conflicting_answers",
        with_padding(chat(("user", "question 3?"), ("assistant", "answer 4."))),
        with_padding(chat(("user", "question 99?"), ("assistant", "answer 4."))),
    ),
    Case(
        "overlaps_training",
        with_padding(chat(("user", "QUESTION  3?"), ("assistant", "Answer 3.\n")), base=_other),
        with_padding(chat(("user", "question 3?"), ("assistant", "answer 99.")), base=_other),
        training=TRAINING,
    ),
    Case(
        "possible_secret",
        with_padding(_says("my key is AKIAIOSFODNN7EXAMPLE")),
        with_padding(_says("my key is lost")),
    ),
    Case(
        "possible_pii",
        with_padding(_says("write to ann@example.com")),
        with_padding(_says("write to ann at home")),
    ),
]
# The passing case of file_too_large uses the default limit, the failing one a tiny limit.
PASSING_OPTIONS: dict[str, dict[str, Any]] = {
    "file_too_large": {},
    "unsupported_method": {"model": "gpt-4o"},
    "images_not_supported": {"model": "gpt-4o"},
    "method_mismatch": {"method": "dpo"},
}


def test_every_code_has_a_case() -> None:
    assert sorted(case.code for case in CASES) == sorted([*ERROR_CODES, *WARNING_CODES])


def _validate(
    case: Case, data: bytes, options: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> ValidationReport:
    if case.line_limit:
        monkeypatch.setattr(lines, "MAX_LINE_BYTES", case.line_limit)
    if case.patch:
        monkeypatch.setattr(*case.patch)
    if case.training is None:
        return validate_bytes(data, **options)
    files = [source("training", case.training), source("validation", data)]
    return validate_files(files, workers=1, **options)[1]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.code)
def test_failing_case_reports_the_code(case: Case, monkeypatch: pytest.MonkeyPatch) -> None:
    report = _validate(case, case.failing, case.options, monkeypatch)
    counts = report.error_counts if case.code in ERROR_CODES else report.warning_counts
    assert counts.get(case.code) == 1, report.to_dict()
    issues = report.errors if case.code in ERROR_CODES else report.warnings
    assert [issue.line for issue in issues if issue.code == case.code] == [case.line]
    assert report.valid is (case.code in WARNING_CODES)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.code)
def test_passing_case_does_not(case: Case, monkeypatch: pytest.MonkeyPatch) -> None:
    report = _validate(case, case.passing, PASSING_OPTIONS.get(case.code, case.options), monkeypatch)
    assert case.code not in report.error_counts and case.code not in report.warning_counts, report.to_dict()
    assert report.valid, report.to_dict()
