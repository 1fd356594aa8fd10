"""Token counts by the OpenAI cookbook formula the lab used.

Per example: 3 per message, plus the tokens of each string field among role, content and name,
plus 1 per name, plus 3. Non-string fields (weight, tool_calls, ...) add nothing. Content given
as a list of parts counts each text part's tokens; image parts count 0 text tokens (the formula
cannot price an image; the report counts images separately so the estimate is read as text-only).
A preference (DPO) example is counted as one message list: the prompt, then both outputs; the
lab had no DPO data, and this is the conservative reading for the per-example limit.

Text is encoded with `encode_ordinary`, which tiktoken documents as equal to
`encode(text, disallowed_special=())`: text such as "<|endoftext|>" is counted as ordinary
text instead of raising, which is what a dataset of chat logs needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import tiktoken

TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
TOKENS_PER_REPLY = 3
# Roles, names and system prompts repeat on nearly every line of a dataset: remember the counts
# of short strings, within a bound, instead of re-encoding them.
_CACHED_TEXT_CHARS = 4096
_CACHE_ENTRIES = 4096


class ExampleCounts(NamedTuple):
    """The token counts of one example (plus facts the statistics need)."""

    total: int
    assistant: int
    messages: int
    images: int


class TokenCounter:
    """Counts tokens of texts and message lists with one encoding, caching short texts."""

    def __init__(self, encoding: tiktoken.Encoding) -> None:
        self._encode = encoding.encode_ordinary
        self._cache: dict[str, int] = {}

    def text(self, text: str) -> int:
        count = self._cache.get(text)
        if count is None:
            count = len(self._encode(text))
            if len(text) <= _CACHED_TEXT_CHARS:
                if len(self._cache) >= _CACHE_ENTRIES:
                    self._cache.clear()
                self._cache[text] = count
        return count

    def parts(self, content: object) -> tuple[int, int]:
        """(tokens, images) of content that is not a string: a list of parts, or absent."""
        tokens = images = 0
        if isinstance(content, list):
            for part in content:
                if part.get("type") == "text":
                    tokens += self.text(part["text"])
                else:
                    images += 1
        return tokens, images

    def example(self, messages: list[Mapping[str, object]]) -> ExampleCounts:
        """Counts of validated `messages`; assistant tokens are the assistant contents' tokens."""
        text = self.text
        total = TOKENS_PER_REPLY
        assistant = images = 0
        for message in messages:
            role = message["role"]
            content = message.get("content")
            if type(content) is str:
                content_tokens = text(content)
            else:
                content_tokens, content_images = self.parts(content)
                images += content_images
            total += TOKENS_PER_MESSAGE + text(role) + content_tokens
            if role == "assistant":
                assistant += content_tokens
            name = message.get("name")
            if isinstance(name, str):
                total += text(name) + TOKENS_PER_NAME
        return ExampleCounts(total=total, assistant=assistant, messages=len(messages), images=images)
