"""Small builders of datasets for the validation tests."""

from __future__ import annotations

import io
import json
import random
from collections.abc import Callable, Sequence
from typing import Any

from tuning.validation import DatasetSource, ValidationReport, validate_stream
from tuning.validation.validator import DatasetKind

Example = dict[str, Any]

_VOCABULARY = """the model answers questions about data and tokens while users ask why café naïve straße
東京 数据 данные χρόνος 🙂 🚀 x=1; {json} <tag> 2026 3.14 'quoted' "double"
"""
WORDS = _VOCABULARY.split()


def chat(*turns: tuple[str, str], system: str | None = "You are terse.", **extra: object) -> Example:
    """A chat example from (role, content) pairs, with an optional system message first."""
    messages = [{"role": "system", "content": system}] if system is not None else []
    messages += [{"role": role, "content": content} for role, content in turns]
    return {"messages": messages, **extra}


def simple(index: int = 0) -> Example:
    return chat(("user", f"question {index}?"), ("assistant", f"answer {index}."))


def preference(index: int = 0) -> Example:
    return {
        "input": {"messages": [{"role": "user", "content": f"question {index}?"}]},
        "preferred_output": [{"role": "assistant", "content": f"good answer {index}"}],
        "non_preferred_output": [{"role": "assistant", "content": f"bad answer {index}"}],
    }


def jsonl(examples: Sequence[object]) -> bytes:
    return "".join(json.dumps(example, ensure_ascii=False) + "\n" for example in examples).encode()


def with_padding(*lines: object, base: Callable[[int], Example] = simple, count: int = 10) -> bytes:
    """The given examples (dicts, or raw bytes/str lines) after `count` valid ones, so
    file-level rules such as too_few_examples stay quiet."""
    out = jsonl([base(index) for index in range(count)])
    for line in lines:
        if isinstance(line, bytes):
            out += line + b"\n"
        elif isinstance(line, str):
            out += line.encode() + b"\n"
        else:
            out += jsonl([line])
    return out


def validate_bytes(data: bytes, model: str = "gpt-4o", **options: Any) -> ValidationReport:
    options.setdefault("workers", 1)
    return validate_stream(io.BytesIO(data), "test.jsonl", model, **options)


def source(kind: DatasetKind, data: bytes, name: str | None = None) -> DatasetSource:
    """A DatasetSource over bytes in memory; opening it more than once is an error."""
    opened: list[bool] = []

    def open_once() -> io.BytesIO:
        assert not opened, f"{kind} opened twice"
        opened.append(True)
        return io.BytesIO(data)

    return DatasetSource(kind, name or f"{kind}.jsonl", open_once)


def random_text(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choices(WORDS, k=rng.randint(low, high)))


def random_chat(rng: random.Random) -> Example:
    """A lab-compatible chat example: only role/content/name string fields."""
    messages: list[dict[str, str]] = []
    if rng.random() < 0.8:
        messages.append({"role": "system", "content": random_text(rng, 1, 30)})
    for _ in range(rng.randint(1, 3)):
        user = {"role": "user", "content": random_text(rng, 1, 40)}
        if rng.random() < 0.3:
            user["name"] = rng.choice(["alice", "bob_2", "Zoë"])
        messages.append(user)
        messages.append({"role": "assistant", "content": random_text(rng, 1, 60)})
    return {"messages": messages}


def varied_line(rng: random.Random, index: int) -> object:
    """One line of a file that exercises most rules: mostly valid chat, sometimes personal data,
    a secret, a special token, a tool call, content parts, a name, empty content, a preference
    example (mixed formats), invalid JSON, a blank line, or a copy of an earlier example with the
    same or another answer."""
    kind = rng.randrange(16)
    if kind == 0:
        return chat(("user", f"mail me at user{index}@example.com"), ("assistant", random_text(rng, 1, 9)))
    if kind == 1:
        return chat(("user", "my key is AKIAIOSFODNN7EXAMPLE"), ("assistant", "rotate it"))
    if kind == 2:
        return chat(("user", "stop at <|endoftext|>"), ("assistant", random_text(rng, 1, 9)))
    if kind == 3:
        return {
            "messages": [
                {"role": "user", "content": random_text(rng, 1, 9)},
                {
                    "role": "assistant",
                    "tool_calls": [
                        {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}
                    ],
                },
                {"role": "tool", "tool_call_id": "c", "content": "42"},
                {"role": "assistant", "content": "42."},
            ]
        }
    if kind == 4:
        parts = [{"type": "text", "text": random_text(rng, 1, 9)}, {"type": "text", "text": "more"}]
        return {
            "messages": [
                {"role": "user", "content": parts, "name": "Zoë"},
                {"role": "assistant", "content": "ok"},
            ]
        }
    if kind == 5:
        return chat(("user", "  "), ("assistant", random_text(rng, 1, 9)))
    if kind == 6:
        return preference(index)
    if kind == 7:
        return "{not json"
    if kind == 8:
        return b""
    if kind == 9:
        return simple(index % 7)  # repeats: duplicates
    if kind == 10:
        return chat(("user", f"question {index % 7}?"), ("assistant", f"another answer {index}"))
    return random_chat(rng)


def varied_file(seed: int, count: int) -> bytes:
    """`count` lines of varied_line, after padding that keeps the file-level rules quiet."""
    rng = random.Random(seed)
    return with_padding(*(varied_line(rng, index) for index in range(count)))
