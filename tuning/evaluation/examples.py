"""The eval set: held-out chat examples split into a prompt and the reference answer.

Each example's last assistant message is the reference; every message before it is the prompt
(system, user and earlier assistant turns kept, so a multi-turn conversation is replayed as it
was). Preference (DPO) lines count too: `input.messages` is the prompt and the last
`preferred_output` message the reference.

An example that cannot be evaluated (it does not end with an assistant message, its reference is
empty, its prompt has no user turn, or a message is not plain text, such as a tool call or an
image) is skipped and counted by reason; a line that is not a JSON object is an error naming the
file, the line and the rule, since the eval set was validated before it is read.

When more examples qualify than `max_examples`, the selection is a seeded sample that does not
depend on the file's order: the examples whose salted SHA-256 (of the prompt and reference) is
smallest, kept in file order. The same file always yields the same examples, on every machine and
Python version, and appending examples to a file changes the selection only where a new example
ranks among the smallest hashes.
"""

from __future__ import annotations

import hashlib
import heapq
import json
from collections import Counter
from typing import BinaryIO, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["EvalExample", "EvalSet", "EvalSetError", "PromptMessage", "read_eval_examples"]

SAMPLE_SALT = b"tuning.evaluation.sample.v1\n"
Role = Literal["system", "user", "assistant"]
SkipReason = Literal["no_final_assistant", "empty_reference", "no_user_message", "unsupported_message"]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PromptMessage(_Frozen):
    role: Role
    content: str


class EvalExample(_Frozen):
    """One example, small and JSON-serialisable: it may travel as an activity payload."""

    index: int = Field(ge=0, description="position in the selected eval set, 0-based")
    line: int = Field(ge=1, description="line in the source file, 1-based")
    prompt: tuple[PromptMessage, ...]
    reference: str

    def chat_messages(self) -> list[dict[str, str]]:
        """The prompt as the `messages` of a chat completion request."""
        return [message.model_dump() for message in self.prompt]


class EvalSet(_Frozen):
    """The selected examples and what reading the file found."""

    source: str
    examples: tuple[EvalExample, ...]
    lines: int = Field(description="non-blank lines read")
    evaluable: int = Field(description="examples that could be evaluated, before selection")
    skipped: dict[str, int] = Field(description="examples skipped, by reason")
    selection: Literal["all", "hash_sample"]


class EvalSetError(ValueError):
    """The eval set cannot be read; the message names the file, the line and the rule."""

    def __init__(self, source: str, line: int | None, rule: str, message: str) -> None:
        where = f"{source} line {line}" if line is not None else source
        super().__init__(f"{where}: {rule}: {message}")
        self.source = source
        self.line = line
        self.rule = rule


def read_eval_examples(stream: BinaryIO, max_examples: int, *, source: str = "eval.jsonl") -> EvalSet:
    """Read a JSONL eval set from a binary stream, one line at a time, keeping at most `max_examples`."""
    if max_examples < 1:
        raise ValueError("max_examples must be at least 1")
    kept: list[tuple[bytes, int, tuple[PromptMessage, ...], str]] = []  # a max-heap by (hash, line)
    skipped: Counter[str] = Counter()
    lines = evaluable = 0
    for number, raw in enumerate(stream, start=1):
        record = _parse_line(source, number, raw)
        if record is None:
            continue
        lines += 1
        split = _split(record)
        if isinstance(split, str):
            skipped[split] += 1
            continue
        evaluable += 1
        prompt, reference = split
        rank = _inverted(_sample_hash(prompt, reference))
        if len(kept) < max_examples:
            heapq.heappush(kept, (rank, -number, prompt, reference))
        elif (rank, -number) > kept[0][:2]:
            heapq.heapreplace(kept, (rank, -number, prompt, reference))
    if not kept:
        reasons = ", ".join(f"{reason} {count}" for reason, count in sorted(skipped.items())) or "empty file"
        raise EvalSetError(source, None, "no_evaluable_examples", f"no example can be evaluated ({reasons})")
    chosen = sorted((-negative, prompt, reference) for _, negative, prompt, reference in kept)
    return EvalSet(
        source=source,
        examples=tuple(
            EvalExample(index=index, line=line, prompt=prompt, reference=reference)
            for index, (line, prompt, reference) in enumerate(chosen)
        ),
        lines=lines,
        evaluable=evaluable,
        skipped=dict(sorted(skipped.items())),
        selection="all" if evaluable <= max_examples else "hash_sample",
    )


def _parse_line(source: str, number: int, raw: bytes) -> dict[str, object] | None:
    """The line's JSON object, or None for a blank line; a BOM on line 1 and CRLF are accepted."""
    if number == 1:
        raw = raw.removeprefix(b"\xef\xbb\xbf")
    if not raw.strip():
        return None
    try:
        record = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise EvalSetError(source, number, "invalid_utf8", "the line is not UTF-8") from None
    except ValueError as error:
        raise EvalSetError(source, number, "invalid_json", str(error)) from None
    if not isinstance(record, dict):
        raise EvalSetError(source, number, "not_an_object", "each line must be a JSON object")
    return record


def _split(record: dict[str, object]) -> tuple[tuple[PromptMessage, ...], str] | SkipReason:
    """(prompt, reference) of a chat or preference example, or the reason it cannot be evaluated."""
    messages = record.get("messages")
    preference = record.get("input")
    if not isinstance(messages, list) and isinstance(preference, dict):
        preferred = record.get("preferred_output")
        messages = [*_as_list(preference.get("messages")), *_as_list(preferred)[-1:]]
    messages = _as_list(messages)
    if not messages or not isinstance(messages[-1], dict) or messages[-1].get("role") != "assistant":
        return "no_final_assistant"
    reference = messages[-1].get("content")
    if not isinstance(reference, str) or not reference.strip():
        return "empty_reference"
    prompt = []
    for message in messages[:-1]:
        if not isinstance(message, dict):
            return "unsupported_message"
        role, content = message.get("role"), message.get("content")
        if role not in ("system", "user", "assistant") or not isinstance(content, str):
            return "unsupported_message"
        prompt.append(PromptMessage(role=role, content=content))
    if not any(message.role == "user" for message in prompt):
        return "no_user_message"
    return tuple(prompt), reference


def _as_list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _sample_hash(prompt: tuple[PromptMessage, ...], reference: str) -> bytes:
    """Salted SHA-256 of the example's content (not its bytes: reformatting the JSON changes nothing)."""
    content = json.dumps([[m.role, m.content] for m in prompt] + [reference], ensure_ascii=False)
    return hashlib.sha256(SAMPLE_SALT + content.encode("utf-8")).digest()


def _inverted(digest: bytes) -> bytes:
    """Bytes that order the other way, so heapq's min-heap keeps the smallest hashes."""
    return bytes(255 - byte for byte in digest)
