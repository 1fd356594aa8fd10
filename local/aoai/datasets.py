"""What the service checks in an uploaded fine-tuning file, and what it learns from it.

Azure validates a `fine-tune` upload while it is processed and marks it `error` with
`status_details` naming the first bad line. The emulator checks the same shapes (chat
`messages`, DPO `input`/`preferred_output`/`non_preferred_output`, legacy
`prompt`/`completion`), counts examples and tokens for `trained_tokens`, and keeps each
example's prompt text and reply: a fine-tuned model answers from them (answers.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from local.aoai.tokens import content_text, count_messages, count_text

__all__ = ["Dataset", "DatasetError", "Example", "inspect"]

ROLES = {"system", "developer", "user", "assistant", "tool", "function"}


@dataclass(frozen=True)
class Example:
    kind: str  # "chat", "dpo" or "completion"
    tokens: int
    prompt: str
    reply: str


@dataclass(frozen=True)
class Dataset:
    examples: list[Example]

    @property
    def tokens(self) -> int:
        return sum(example.tokens for example in self.examples)

    @property
    def kinds(self) -> set[str]:
        return {example.kind for example in self.examples}


class DatasetError(ValueError):
    """Why a file cannot be used for fine-tuning, as shown in status_details."""


def _messages_problem(messages: Any) -> str | None:
    if not isinstance(messages, list) or not messages:
        return "'messages' must be a non-empty list"
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            return f"message {index} is not an object"
        if message.get("role") not in ROLES:
            return f"message {index} has an invalid role {message.get('role')!r}"
        if "content" not in message and "tool_calls" not in message and "function_call" not in message:
            return f"message {index} has no content"
    return None


def _user_text(messages: list[dict[str, Any]]) -> str:
    return " ".join(content_text(m.get("content")) for m in messages if m.get("role") == "user")


def _last_reply(messages: list[dict[str, Any]]) -> str:
    replies = [content_text(m.get("content")) for m in messages if m.get("role") == "assistant"]
    return replies[-1] if replies else ""


def _chat_example(messages: Any) -> Example:
    problem = _messages_problem(messages)
    if problem is None and not any(m.get("role") == "assistant" for m in messages):
        problem = "there is no assistant message to train on"
    if problem:
        raise DatasetError(problem)
    last = max(i for i, m in enumerate(messages) if m.get("role") == "assistant")
    return Example("chat", count_messages(messages), _user_text(messages[:last]), _last_reply(messages))


def _dpo_example(example: dict[str, Any]) -> Example:
    source = example.get("input")
    prompt = source.get("messages") if isinstance(source, dict) else None
    outputs: list[Any] = [prompt, example.get("preferred_output"), example.get("non_preferred_output")]
    problem = next(filter(None, map(_messages_problem, outputs)), None)
    if problem:
        raise DatasetError(f"DPO example: {problem}")
    tokens = sum(count_messages(messages) for messages in outputs)
    return Example("dpo", tokens, _user_text(outputs[0]), _last_reply(outputs[1]))


def _example(example: Any) -> Example:
    """One example, or DatasetError when its shape is not a fine-tuning example."""
    if not isinstance(example, dict):
        raise DatasetError("the line is not a JSON object")
    if "messages" in example:
        return _chat_example(example["messages"])
    if "preferred_output" in example:
        return _dpo_example(example)
    if "prompt" in example and "completion" in example:
        prompt, completion = str(example["prompt"]), str(example["completion"])
        return Example("completion", count_text(prompt) + count_text(completion), prompt, completion)
    raise DatasetError("expected 'messages', a DPO example or 'prompt'/'completion'")


def inspect(content: bytes) -> Dataset:
    """Every example of a valid JSONL fine-tuning file; DatasetError names the first bad line."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DatasetError("Invalid file format: the file is not UTF-8 text.") from None
    examples = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            examples.append(_example(json.loads(line)))
        except json.JSONDecodeError as error:
            raise DatasetError(f"Invalid file format. Line {number}: invalid JSON ({error.msg}).") from None
        except DatasetError as error:
            raise DatasetError(f"Invalid file format. Line {number}: {error}.") from None
    if not examples:
        raise DatasetError("Invalid file format: the file has no examples.")
    return Dataset(examples)
