"""Reads the text of an example once: token counts by the OpenAI cookbook formula the lab used,
digests of the normalised text for fingerprints, and the data scan's first look.

Token counts, per example: 3 per message, plus the tokens of each string field among role,
content and name, plus 1 per name, plus 3. Non-string fields (weight, tool_calls, ...) add
nothing. Content given as a list of parts counts each text part's tokens; image parts count 0
text tokens (the formula cannot price an image; the report counts images separately so the
estimate is read as text-only). A preference (DPO) example is counted as one message list: the
prompt, then both outputs; the lab had no DPO data, and this is the conservative reading for the
per-example limit.

Tokens are counted as `encode_ordinary` counts them (tiktoken documents it as equal to
`encode(text, disallowed_special=())`), without building the list of tokens
(tokenizers.ordinary_token_counter): text such as "<|endoftext|>" is counted as ordinary text
instead of raising (special_tokens.py reports it).

Every string is read once, and the facts about it (tokens, digest) are remembered for short
strings: roles, names and system prompts repeat on nearly
every line. Reading each string once is what keeps all the rules within a few percent of the
time tokenizing takes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import tiktoken

from tuning.tokenizers import ordinary_token_counter
from tuning.validation.fingerprints import text_digest
from tuning.validation.memo import remember_short_texts
from tuning.validation.texts import message_strings

__all__ = ["ExampleCounts", "ExampleText", "TextFacts", "TextReader"]

TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
TOKENS_PER_REPLY = 3


class ExampleCounts(NamedTuple):
    """The token counts of one example (plus facts the statistics need)."""

    total: int
    assistant: int
    messages: int
    images: int


# What one string contributes: (its tokens, the digest of its normalised text). A plain tuple,
# not a named one: it is built for every distinct string of the file.
TextFacts = tuple[int, int]


class ExampleText(NamedTuple):
    """An example read once: its counts, two digests per message (its role, then the rest), the
    index of its last assistant message, and all its text strings (for the scans)."""

    counts: ExampleCounts
    digests: list[int]
    last_assistant: int
    strings: list[str]


class TextReader:
    """Reads examples with one encoding."""

    def __init__(self, encoding: tiktoken.Encoding) -> None:
        count = ordinary_token_counter(encoding)

        def facts(text: str) -> TextFacts:
            return count(text), text_digest(text)

        self.text: Callable[[str], TextFacts] = remember_short_texts(facts)
        self._read: dict[str, TextFacts] = {}  # a batch's roles and string contents, read ahead

    def examples(self, batch: Sequence[Sequence[Mapping[str, Any]]]) -> list[ExampleText]:
        """`example` of each of a batch of validated examples. The roles and string contents are
        read first, each distinct one once, in one loop: the tokenizer's tables then stay in
        the processor's caches, which makes counting a tenth faster than between the other work
        on each example. The batch bounds what is held meanwhile."""
        text = self.text
        read: dict[str, TextFacts] = {}
        for messages in batch:
            for message in messages:
                role, content = message["role"], message.get("content")
                if role not in read:
                    read[role] = text(role)
                if type(content) is str and content not in read:
                    read[content] = text(content)
        self._read = read
        try:
            return [self.example(messages) for messages in batch]
        finally:
            self._read = {}

    def example(self, messages: Sequence[Mapping[str, Any]]) -> ExampleText:
        """Reads validated `messages`; assistant tokens are the assistant contents' tokens."""
        read, text = self._read, self.text
        total = TOKENS_PER_REPLY
        assistant = images = last_assistant = 0
        digests: list[int] = []
        strings: list[str] = []
        for index, message in enumerate(messages):
            role = message["role"]
            role_tokens, role_digest = read.get(role) or text(role)
            content = message.get("content")
            digests.append(role_digest)
            if type(content) is str and len(message) == 2:  # the common message: {role, content}
                content_tokens, content_digest = read.get(content) or text(content)
                digests.append(content_digest)
                strings.append(content)
            else:
                content_tokens, name_tokens, content_images = self._rest(message)
                total += name_tokens
                images += content_images
                digests.append(self._rest_digest(message))
                strings.extend(message_strings(message))
            total += TOKENS_PER_MESSAGE + role_tokens + content_tokens
            if role == "assistant":
                assistant += content_tokens
                last_assistant = index
        counts = ExampleCounts(total=total, assistant=assistant, messages=len(messages), images=images)
        return ExampleText(counts, digests, last_assistant, strings)

    def _rest(self, message: Mapping[str, Any]) -> tuple[int, int, int]:
        """(content tokens, name tokens, images) of a message that is more than role and string
        content: content as a list of parts, or absent; a name."""
        content = message.get("content")
        content_tokens = images = 0
        if type(content) is str:
            content_tokens = self.text(content)[0]
        elif isinstance(content, list):
            for part in content:
                if part.get("type") == "text":
                    content_tokens += self.text(part["text"])[0]
                else:
                    images += 1
        name = message.get("name")
        name_tokens = self.text(name)[0] + TOKENS_PER_NAME if isinstance(name, str) else 0
        return content_tokens, name_tokens, images

    def _rest_digest(self, message: Mapping[str, Any]) -> int:
        """The digest of a message that is more than role and string content: of its content and
        name when that is all, else of all of it but the role (parts, tool calls, weights) as
        canonical JSON."""
        content, name = message.get("content"), message.get("name")
        if len(message) == 3 and type(content) is str and type(name) is str:
            return hash((self.text(content)[1], self.text(name)[1]))
        rest = {key: value for key, value in message.items() if key != "role"}
        return text_digest(json.dumps(rest, sort_keys=True, ensure_ascii=False))
