"""The original lab's token counting (the notebook's code): the benchmark's baseline, and the
independent implementation the validator's counts must equal exactly in tests. Kept verbatim
apart from the encoding, passed as a parameter instead of a notebook global, and the file,
closed by a `with` block."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def num_tokens_from_messages(
    encoding: Any, messages: list[dict[str, Any]], tokens_per_message: int = 3, tokens_per_name: int = 1
) -> int:
    num_tokens = 0
    for message in messages:
        num_tokens += tokens_per_message
        for key, value in message.items():
            num_tokens += len(encoding.encode(value))
            if key == "name":
                num_tokens += tokens_per_name
    num_tokens += 3
    return num_tokens


def num_assistant_tokens_from_messages(encoding: Any, messages: list[dict[str, Any]]) -> int:
    num_tokens = 0
    for message in messages:
        if message["role"] == "assistant":
            num_tokens += len(encoding.encode(message["content"]))
    return num_tokens


def lab_counts(encoding: Any, path: str | Path) -> list[tuple[int, int]]:
    """(total, assistant) per example, loading the file the way the lab did."""
    with open(path) as lines:
        dataset = [json.loads(line) for line in lines]
    return [
        (
            num_tokens_from_messages(encoding, example["messages"]),
            num_assistant_tokens_from_messages(encoding, example["messages"]),
        )
        for example in dataset
    ]
