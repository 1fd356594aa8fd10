"""What the service checks in an uploaded fine-tuning file, and what it counts.

Azure validates a `fine-tune` upload while it is `pending` and marks it `error` with
`status_details` naming the first bad line. The emulator checks the same shapes (chat
`messages`, DPO `input`/`preferred_output`/`non_preferred_output`, legacy
`prompt`/`completion`) and counts examples and tokens for `trained_tokens`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from local.aoai.tokens import count_messages, count_text

ROLES = {"system", "developer", "user", "assistant", "tool", "function"}


@dataclass(frozen=True)
class Dataset:
    examples: int
    tokens: int


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


def _example_tokens(example: Any) -> int:
    """Tokens of one example, or DatasetError when its shape is not a fine-tuning example."""
    if not isinstance(example, dict):
        raise DatasetError("the line is not a JSON object")
    if "messages" in example:
        problem = _messages_problem(example["messages"])
        if problem is None and not any(m.get("role") == "assistant" for m in example["messages"]):
            problem = "there is no assistant message to train on"
        if problem:
            raise DatasetError(problem)
        return count_messages(example["messages"])
    if "preferred_output" in example:
        outputs = [
            example.get("input", {}).get("messages") if isinstance(example.get("input"), dict) else None,
            example.get("preferred_output"),
            example.get("non_preferred_output"),
        ]
        problem = next(filter(None, map(_messages_problem, outputs)), None)
        if problem:
            raise DatasetError(f"DPO example: {problem}")
        return sum(count_messages(messages) for messages in outputs)
    if "prompt" in example and "completion" in example:
        return count_text(str(example["prompt"])) + count_text(str(example["completion"]))
    raise DatasetError("expected 'messages', a DPO example or 'prompt'/'completion'")


def inspect(content: bytes) -> Dataset:
    """Count a valid JSONL fine-tuning file; DatasetError names the first bad line."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DatasetError("Invalid file format: the file is not UTF-8 text.") from None
    examples = tokens = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            tokens += _example_tokens(json.loads(line))
        except json.JSONDecodeError as error:
            raise DatasetError(f"Invalid file format. Line {number}: invalid JSON ({error.msg}).") from None
        except DatasetError as error:
            raise DatasetError(f"Invalid file format. Line {number}: {error}.") from None
        examples += 1
    if examples == 0:
        raise DatasetError("Invalid file format: the file has no examples.")
    return Dataset(examples, tokens)
