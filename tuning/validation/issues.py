"""Issue codes, the Issue payload, and a bounded log of issues.

Codes are stable: the pipeline, reports and users key on them; tuning/validation/README.md has
the table of every code with what it means and what the user does. A file of millions of bad
lines must not exhaust memory, so the log names every issue up to a bound and only counts the rest.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

__all__ = [
    "DATA_SCAN_CODES",
    "ERROR_CODES",
    "MAX_LISTED_ISSUES",
    "WARNING_CODES",
    "Issue",
    "IssueLog",
]

ERROR_CODES: dict[str, str] = {
    "invalid_utf8": "the line is not valid UTF-8",
    "invalid_json": "the line is not a JSON document",
    "not_an_object": "the line is JSON but not an object",
    "missing_messages": "no 'messages' list",
    "messages_not_list": "'messages' is not a non-empty list",
    "message_not_object": "a message is not an object",
    "missing_role": "a message has no 'role'",
    "unrecognized_role": "a message's role is not one the format allows",
    "missing_content": "a message has no content (only assistant tool/function calls may omit it)",
    "invalid_content": "content is neither a string nor a list of text/image parts",
    "invalid_name": "'name' is not a string",
    "invalid_tool_calls": "malformed tool_calls, function_call or tool_call_id",
    "unrecognized_key": "a key the format does not define",
    "no_assistant_message": "no assistant message to learn from",
    "invalid_weight": "'weight' is not 0 or 1, or is set on a non-assistant message",
    "too_many_tokens": "the example is longer than the model's per-example training context",
    "special_token": "the text holds a special token of the model's tokenizer, which the service rejects",
    "images_not_supported": "an image in an example for a model that does not fine-tune on images",
    "invalid_image": "an image that is neither an http(s) URL nor a base64 JPEG/PNG/WEBP data URL",
    "image_too_large": "an image larger than the 10 MB the service accepts",
    "too_many_images": "an example with more than the 64 images the service accepts",
    "line_too_long": "the line is too long to be parsed (far above any model's context)",
    "mixed_formats": "the line's format differs from the file's format (chat vs preference)",
    "missing_input": "preference example without an 'input' object",
    "invalid_input": "'input' is not an object with a 'messages' list",
    "missing_output": "preference example without 'preferred_output' or 'non_preferred_output'",
    "invalid_output": "an output is not a non-empty list of assistant/tool messages",
    "unsupported_method": "the model does not support this fine-tuning method",
    "method_mismatch": "the file's format does not fit the run's method (chat: supervised, preference: dpo)",
    "empty_file": "the file has no examples",
    "too_few_examples": "fewer valid examples than fine-tuning requires",
    "file_too_large": "the file is larger than the upload limit",
}

WARNING_CODES: dict[str, str] = {
    "bom": "the file starts with a UTF-8 byte order mark (accepted)",
    "crlf": "the file uses CRLF line endings (accepted)",
    "blank_line": "a blank line (skipped)",
    "empty_content": "a message's content is empty",
    "missing_system_message": "no system message",
    "missing_user_message": "no user message",
    "last_message_not_assistant": "the last message is not from the assistant, so it trains nothing",
    "duplicate_example": "the same example (ignoring whitespace and case) appeared on an earlier line",
    "conflicting_answers": "the same prompt appeared on an earlier line with a different answer",
    "overlaps_training": "a validation or eval example whose prompt and answer are also in the training file",
    "possible_secret": "text that looks like a credential (key, token, private key, connection string)",
    "possible_pii": "text that looks like personal data (e-mail, phone, card number, IBAN)",
}

# Warnings by default; errors when the scan runs in "error" mode (FT_DATA_SCAN=error).
DATA_SCAN_CODES = ("possible_secret", "possible_pii")

# Enough to name every bad line of any file a person would fix by hand.
MAX_LISTED_ISSUES = 10_000


@dataclass(frozen=True, slots=True)
class Issue:
    """One finding: `line` is 1-based, or None for the file as a whole. `message_index` (the
    message's position in the example: `messages`, or for preference data input.messages, then
    preferred_output, then non_preferred_output) and `kind` (the token, the secret's or personal
    datum's kind) are set where they apply. No field ever holds the matched text of a secret."""

    line: int | None
    code: str
    message: str
    message_index: int | None = None
    kind: str | None = None

    def to_dict(self) -> dict[str, object]:
        document: dict[str, object] = {"line": self.line, "code": self.code, "message": self.message}
        if self.message_index is not None:
            document["message_index"] = self.message_index
        if self.kind is not None:
            document["kind"] = self.kind
        return document


@dataclass
class IssueLog:
    """Issues of one severity: the first `limit` line issues and every file-level one in full,
    a count per code for all of them."""

    limit: int = MAX_LISTED_ISSUES
    listed: list[Issue] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, issue: Issue) -> None:
        self.counts[issue.code] += 1
        if len(self.listed) < self.limit or issue.line is None:  # the few file-level ones always
            self.listed.append(issue)

    @property
    def total(self) -> int:
        return sum(self.counts.values())
