"""Special tokens in the text of an example: the service rejects them, hours into a job.

The set comes from tiktoken: the model's encoding's `special_tokens_set` and those of every
encoding we ship (`<|endoftext|>` and `<|endofprompt|>` in o200k_base, plus the three
fill-in-the-middle tokens in cl100k_base), plus the chat markup tokens that wrap every message of
the chat format (`<|im_start|>`, `<|im_end|>`, `<|im_sep|>`), which the public encodings do not
list. The union, not the model's own set: the service fails a job, as an invalid file format,
over a `<|fim_suffix|>` in one example for the o200k models too (reported in
johny-b/llmcomp#59), although o200k_base itself reads that text as ordinary text. Counting is unaffected:
tokens are counted with encode_ordinary, which reads such text as ordinary text. `pattern` joins
the checking's one RE2 pass over each example (checking.py), which sees decoded text, so JSON
escapes (`\u003c|endoftext|>`) hide nothing; `check` then names the tokens, message by message.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import tiktoken

from tuning.tokenizers import shipped_special_tokens
from tuning.validation.rules import Findings, Message
from tuning.validation.texts import message_strings

__all__ = ["CHAT_MARKUP_TOKENS", "SpecialTokens"]

CHAT_MARKUP_TOKENS = frozenset({"<|im_start|>", "<|im_end|>", "<|im_sep|>"})


class SpecialTokens:
    """Finds the special tokens of one encoding in examples."""

    def __init__(self, encoding: tiktoken.Encoding) -> None:
        self.tokens = frozenset(encoding.special_tokens_set) | shipped_special_tokens() | CHAT_MARKUP_TOKENS
        alternatives = sorted(self.tokens, key=len, reverse=True)
        self.pattern = "|".join(map(re.escape, alternatives))
        self._pattern = re.compile(self.pattern)

    def check(self, messages: Sequence[Message], findings: Findings) -> None:
        """An error per message and token found, naming both (the token is not user data)."""
        for index, message in enumerate(messages):
            found = {
                match.group() for text in message_strings(message) for match in self._pattern.finditer(text)
            }
            for token in sorted(found):
                findings.error(
                    "special_token",
                    f"message {index} holds the special token {token}, which the service rejects",
                    index,
                    token,
                )
