"""Deterministic token counts for usage and `trained_tokens`.

The emulator does not ship a tokenizer: it approximates one token per word or punctuation
mark (`\\w+|[^\\w\\s]`), wrapped in the OpenAI cookbook's chat formula (3 per message, the
string fields, 1 per name, 3 to prime the reply). Counts are stable across runs, which is
what tests need; they are not tiktoken's exact numbers.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["content_text", "count_messages", "count_text", "truncate"]

_TOKEN = re.compile(r"\w+|[^\w\s]")


def count_text(text: str) -> int:
    return len(_TOKEN.findall(text))


def content_text(content: Any) -> str:
    """The text of a message's content: a string, or the text parts of a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def count_messages(messages: list[dict[str, Any]]) -> int:
    total = 3
    for message in messages:
        total += 3
        total += count_text(str(message.get("role", "")))
        total += count_text(content_text(message.get("content")))
        if "name" in message:
            total += 1 + count_text(str(message["name"]))
    return total


def truncate(text: str, limit: int) -> tuple[str, bool]:
    """`text` cut after its `limit`-th token, and whether it was cut (a `length` finish)."""
    tokens = list(_TOKEN.finditer(text))
    if len(tokens) <= limit:
        return text, False
    return text[: tokens[limit - 1].end()], True
