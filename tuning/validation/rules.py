"""Format detection and the structural rules for one parsed example.

Chat fine-tuning: `{"messages": [...]}` with optional `tools` / `functions`. Preference (DPO)
fine-tuning: `{"input": {"messages": [...]}, "preferred_output": [...],
"non_preferred_output": [...]}` where outputs hold assistant (and tool) messages.
Rules return findings (code, message, where); codes are listed in issues.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

__all__ = [
    "CHAT",
    "PREFERENCE",
    "Finding",
    "Findings",
    "Message",
    "check_example",
    "detect_format",
]

CHAT = "chat"
PREFERENCE = "preference"

CHAT_ROLES = frozenset({"system", "user", "assistant", "tool", "function"})
OUTPUT_ROLES = frozenset({"assistant", "tool"})
CHAT_KEYS = frozenset({"messages", "tools", "functions", "parallel_tool_calls"})
PREFERENCE_KEYS = frozenset({"input", "preferred_output", "non_preferred_output"})
MESSAGE_KEYS = frozenset({"role", "content", "name", "weight", "tool_calls", "tool_call_id", "function_call"})
OUTPUT_KEYS = ("preferred_output", "non_preferred_output")

Message = Mapping[str, object]


class Finding(NamedTuple):
    """A rule's finding in one example; `message_index` and `kind` as in issues.Issue."""

    code: str
    message: str
    message_index: int | None = None
    kind: str | None = None


@dataclass(slots=True)
class Findings:
    """What the rules found in one example."""

    errors: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)

    def error(
        self, code: str, message: str, message_index: int | None = None, kind: str | None = None
    ) -> None:
        self.errors.append(Finding(code, message, message_index, kind))

    def warn(
        self, code: str, message: str, message_index: int | None = None, kind: str | None = None
    ) -> None:
        self.warnings.append(Finding(code, message, message_index, kind))


def detect_format(example: Mapping[str, object]) -> str:
    """Preference when it has DPO keys and no `messages`; chat otherwise (so `{}` is a chat
    example missing its messages)."""
    if "messages" not in example and not PREFERENCE_KEYS.isdisjoint(example):
        return PREFERENCE
    return CHAT


def check_example(example: Mapping[str, object], fmt: str, findings: Findings) -> list[Message] | None:
    """Applies the rules of `fmt`; returns the messages to count when the example is usable."""
    check = _check_chat if fmt == CHAT else _check_preference
    messages = check(example, findings)
    if findings.errors:
        findings.warnings.clear()  # advice on an unusable example is noise next to its errors
        return None
    return messages


def _check_chat(example: Mapping[str, object], findings: Findings) -> list[Message] | None:
    _check_keys(example, CHAT_KEYS, "the example", findings)
    messages = _check_messages(example, "messages", CHAT_ROLES, findings)
    if messages is None:
        return None
    roles = [message.get("role") for message in messages]
    if "assistant" not in roles:
        findings.error("no_assistant_message", "messages has no assistant message")
    if "system" not in roles:
        findings.warn("missing_system_message", "messages has no system message")
    if "user" not in roles:
        findings.warn("missing_user_message", "messages has no user message")
    if roles[-1] != "assistant":
        findings.warn("last_message_not_assistant", f"the last message's role is {roles[-1]!r}")
    return messages


def _check_preference(example: Mapping[str, object], findings: Findings) -> list[Message] | None:
    _check_keys(example, PREFERENCE_KEYS, "the example", findings)
    prompt = None
    if "input" not in example:
        findings.error("missing_input", "no 'input' object")
    elif not isinstance(example["input"], Mapping):
        findings.error("invalid_input", "'input' is not an object")
    else:
        _check_keys(example["input"], CHAT_KEYS, "input", findings)
        prompt = _check_messages(example["input"], "input.messages", CHAT_ROLES, findings)
    if prompt is not None and not any(message.get("role") == "user" for message in prompt):
        findings.warn("missing_user_message", "input.messages has no user message")
    outputs: list[Message] = []
    for key in OUTPUT_KEYS:
        if key not in example:
            findings.error("missing_output", f"no {key!r}")
            continue
        output = _check_messages(example, key, OUTPUT_ROLES, findings, invalid_list="invalid_output")
        if output is not None:
            if not any(message.get("role") == "assistant" for message in output):
                findings.error("no_assistant_message", f"{key} has no assistant message")
            outputs.extend(output)
    return None if prompt is None else [*prompt, *outputs]


def _check_keys(
    container: Mapping[str, object], allowed: frozenset[str], where: str, findings: Findings
) -> None:
    for key in container:
        if key not in allowed:
            findings.error("unrecognized_key", f"{where} has unrecognized key {key!r}")


def _check_messages(
    container: Mapping[str, object],
    path: str,
    roles: frozenset[str],
    findings: Findings,
    invalid_list: str = "messages_not_list",
) -> list[Message] | None:
    """Checks the message list at `path` (its last dotted part is the key in `container`)."""
    key = path.rsplit(".", 1)[-1]
    if key not in container:
        findings.error("missing_messages", f"no {path!r} list")
        return None
    messages = container[key]
    if not isinstance(messages, list) or not messages:
        findings.error(invalid_list, f"{path} is not a non-empty list")
        return None
    valid = True
    for index, message in enumerate(messages):
        if not _is_plain(message, roles):
            valid = _check_message(message, f"{path}[{index}]", roles, findings) and valid
    return messages if valid else None


def _is_plain(message: object, roles: frozenset[str]) -> bool:
    """The common case, {role, content} with a non-blank string content, has nothing to report:
    answering that cheaply keeps the rules a small part of validation time."""
    if type(message) is not dict or len(message) != 2:
        return False
    role, content = message.get("role"), message.get("content")
    return (
        type(role) is str
        and role in roles
        and type(content) is str
        and content != ""
        and not content.isspace()
    )


def _check_message(message: object, where: str, roles: frozenset[str], findings: Findings) -> bool:
    """Checks one message; False when it is not even an object (the list cannot be used)."""
    if not isinstance(message, Mapping):
        findings.error("message_not_object", f"{where} is not an object")
        return False
    _check_keys(message, MESSAGE_KEYS, where, findings)
    role = message.get("role")
    if "role" not in message:
        findings.error("missing_role", f"{where} has no role")
    elif not isinstance(role, str) or role not in roles:
        findings.error(
            "unrecognized_role", f"{where} has role {role!r}; expected one of {', '.join(sorted(roles))}"
        )
    _check_content(message, role, where, findings)
    if "name" in message and not isinstance(message["name"], str):
        findings.error("invalid_name", f"{where}.name is not a string")
    if "weight" in message:
        weight = message["weight"]
        if (
            role != "assistant"
            or isinstance(weight, bool)
            or not isinstance(weight, (int, float))
            or weight not in (0, 1)
        ):
            findings.error(
                "invalid_weight", f"{where}.weight is {weight!r}; only assistant messages take 0 or 1"
            )
    _check_calls(message, role, where, findings)
    return True


def _check_content(message: Message, role: object, where: str, findings: Findings) -> None:
    content = message.get("content")
    if content is None:
        if role != "assistant" or not ("tool_calls" in message or "function_call" in message):
            findings.error("missing_content", f"{where} has no content")
    elif isinstance(content, str):
        if not content.strip():
            findings.warn("empty_content", f"{where}.content is empty")
    elif isinstance(content, list) and content:
        has_text = False
        for index, part in enumerate(content):
            kind = _part_kind(part, role)
            if kind is None:
                findings.error(
                    "invalid_content", f"{where}.content[{index}] is not a text part or a user image part"
                )
            has_text = has_text or kind == "image_url" or (kind == "text" and bool(part["text"].strip()))
        if not has_text:
            findings.warn("empty_content", f"{where}.content has no text")
    else:
        findings.error(
            "invalid_content", f"{where}.content is a {type(content).__name__}, not a string or parts"
        )


def _part_kind(part: object, role: object) -> str | None:
    """'text' or 'image_url' for a well-formed content part (images only in user messages)."""
    if not isinstance(part, Mapping):
        return None
    kind = part.get("type")
    if kind == "text" and isinstance(part.get("text"), str):
        return "text"
    image = part.get("image_url")
    if (
        kind == "image_url"
        and role == "user"
        and isinstance(image, Mapping)
        and isinstance(image.get("url"), str)
    ):
        return "image_url"
    return None


def _check_calls(message: Message, role: object, where: str, findings: Findings) -> None:
    if "tool_calls" in message:
        calls = message["tool_calls"]
        if (
            role != "assistant"
            or not isinstance(calls, list)
            or not calls
            or not all(map(_is_tool_call, calls))
        ):
            findings.error(
                "invalid_tool_calls",
                f"{where}.tool_calls must be a non-empty list of function calls on an assistant message",
            )
    if "function_call" in message and (role != "assistant" or not _is_function(message["function_call"])):
        findings.error(
            "invalid_tool_calls", f"{where}.function_call must be {{name, arguments}} on an assistant message"
        )
    if role == "tool" and not isinstance(message.get("tool_call_id"), str):
        findings.error("invalid_tool_calls", f"{where} is a tool message without a tool_call_id")
    if "tool_call_id" in message and role != "tool":
        findings.error("invalid_tool_calls", f"{where} has tool_call_id but role {role!r}")


def _is_tool_call(call: object) -> bool:
    return isinstance(call, Mapping) and call.get("type") == "function" and _is_function(call.get("function"))


def _is_function(function: object) -> bool:
    return (
        isinstance(function, Mapping)
        and isinstance(function.get("name"), str)
        and isinstance(function.get("arguments"), str)
    )
