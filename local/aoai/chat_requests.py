"""A chat completion request, checked against the ranges and enums its spec declares.

Ranges are the specs' (temperature 0-2, top_p 0-1, n 1-128, penalties -2..2, top_logprobs 0-20,
at most 4 stop sequences); token limits must be at least 1; roles are the spec's own (the Azure
inference spec 2024-10-21 has no `developer` role, OpenAI's document has). A refusal names the
parameter and carries the code OpenAI's API uses for it (`decimal_above_max_value`,
`integer_below_min_value`, `array_above_max_length`, `invalid_value`, `invalid_type`,
`missing_required_parameter`); the Azure inference route relays them the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, NoReturn

from local.aoai.errors import invalid
from local.aoai.surfaces import Surface

__all__ = ["ChatRequest", "parse_chat"]

AZURE_ROLES = ("system", "user", "assistant", "tool", "function")
V1_ROLES = ("developer", *AZURE_ROLES)
FORMATS = ("text", "json_object", "json_schema")
SCHEMA_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# name -> (integer?, minimum, maximum); None: unbounded.
RANGES: dict[str, tuple[bool, float | None, float | None]] = {
    "temperature": (False, 0, 2),
    "top_p": (False, 0, 1),
    "n": (True, 1, 128),
    "presence_penalty": (False, -2, 2),
    "frequency_penalty": (False, -2, 2),
    "max_tokens": (True, 1, None),
    "max_completion_tokens": (True, 1, None),
    "top_logprobs": (True, 0, 20),
    "seed": (True, None, None),
}
FLAGS = ("stream", "logprobs")


@dataclass(frozen=True)
class ChatRequest:
    messages: list[dict[str, Any]]
    n: int = 1
    max_tokens: int | None = None
    stop: tuple[str, ...] = ()
    response_format: dict[str, Any] | None = None
    stream: bool = False
    include_usage: bool = False

    @property
    def json_mode(self) -> bool:
        return self.response_format is not None and self.response_format["type"] != "text"


def _type_error(name: str, expected: str, value: Any) -> NoReturn:
    raise invalid(
        f"Invalid type for '{name}': expected {expected}, but got {type(value).__name__} instead.",
        param=name,
        code="invalid_type",
    )


def _check_range(name: str, value: Any) -> None:
    integer, low, high = RANGES[name]
    kind = "integer" if integer else "decimal"
    if isinstance(value, bool) or not isinstance(value, int if integer else (int, float)):
        _type_error(name, "an integer" if integer else "a number", value)
    if low is not None and value < low:
        raise invalid(
            f"Invalid '{name}': {kind} below minimum value. "
            f"Expected a value >= {low:g}, but got {value} instead.",
            param=name,
            code=f"{kind}_below_min_value",
        )
    if high is not None and value > high:
        raise invalid(
            f"Invalid '{name}': {kind} above maximum value. "
            f"Expected a value <= {high:g}, but got {value} instead.",
            param=name,
            code=f"{kind}_above_max_value",
        )


def _missing(param: str) -> NoReturn:
    raise invalid(f"Missing required parameter: '{param}'.", param=param, code="missing_required_parameter")


def _check_content(message: dict[str, Any], index: int) -> None:
    content = message.get("content")
    if message["role"] == "assistant" and ("tool_calls" in message or "function_call" in message):
        return
    if content is None and message["role"] not in ("assistant", "function"):
        _missing(f"messages[{index}].content")
    if content is not None and not isinstance(content, (str, list)):
        _type_error(f"messages[{index}].content", "a string or an array of content parts", content)
    if isinstance(content, list) and not content:
        raise invalid(
            f"Invalid 'messages[{index}].content': empty array. Expected an array with minimum length 1.",
            param=f"messages[{index}].content",
            code="empty_array",
        )


def _messages(value: Any, roles: tuple[str, ...]) -> list[dict[str, Any]]:
    if value is None:
        _missing("messages")
    if not isinstance(value, list):
        _type_error("messages", "an array", value)
    if not value:
        raise invalid(
            "Invalid 'messages': empty array. Expected an array with minimum length 1, "
            "but got an empty array instead.",
            param="messages",
            code="empty_array",
        )
    for index, message in enumerate(value):
        if not isinstance(message, dict):
            _type_error(f"messages[{index}]", "an object", message)
        if "role" not in message:
            _missing(f"messages[{index}].role")
        if message["role"] not in roles:
            raise invalid(
                f"Invalid value: {message['role']!r}. Supported values are: {', '.join(map(repr, roles))}.",
                param=f"messages[{index}].role",
                code="invalid_value",
            )
        _check_content(message, index)
        required = {"tool": "tool_call_id", "function": "name"}.get(message["role"])
        if required and required not in message:
            _missing(f"messages[{index}].{required}")
    return value


def _stop(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        _type_error("stop", "a string or an array of strings", value)
    if not 1 <= len(value) <= 4:
        raise invalid(
            f"Invalid 'stop': array {'above maximum' if value else 'below minimum'} length. Expected an "
            f"array with 1 to 4 items, but got an array with {len(value)} items instead.",
            param="stop",
            code="array_above_max_length" if value else "array_below_min_length",
        )
    return tuple(value)


def _response_format(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        _type_error("response_format", "an object", value)
    if value.get("type") not in FORMATS:
        raise invalid(
            f"Invalid value: {value.get('type')!r}. Supported values are: {', '.join(map(repr, FORMATS))}.",
            param="response_format.type",
            code="invalid_value",
        )
    if value["type"] == "json_schema":
        schema = value.get("json_schema")
        if not isinstance(schema, dict):
            _missing("response_format.json_schema")
        if not isinstance(schema.get("name"), str) or not SCHEMA_NAME.match(schema["name"]):
            raise invalid(
                "Invalid 'response_format.json_schema.name': must be 1-64 characters of "
                "a-z, A-Z, 0-9, _ and -.",
                param="response_format.json_schema.name",
                code="invalid_value",
            )
    return value


def parse_chat(body: dict[str, Any], surface: Surface) -> ChatRequest:
    messages = _messages(body.get("messages"), V1_ROLES if surface is Surface.V1 else AZURE_ROLES)
    for name in RANGES:
        if body.get(name) is not None:
            _check_range(name, body[name])
    for name in FLAGS:
        if body.get(name) is not None and not isinstance(body[name], bool):
            _type_error(name, "a boolean", body[name])
    stream = bool(body.get("stream"))
    options = body.get("stream_options")
    if options is not None:
        if not stream:
            raise invalid(
                "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
                param="stream_options",
                code="invalid_value",
            )
        if not isinstance(options, dict):
            _type_error("stream_options", "an object", options)
    limits = [
        body.get(name) for name in ("max_completion_tokens", "max_tokens") if body.get(name) is not None
    ]
    return ChatRequest(
        messages=messages,
        n=body.get("n") or 1,
        max_tokens=limits[0] if limits else None,
        stop=_stop(body.get("stop")),
        response_format=_response_format(body.get("response_format")),
        stream=stream,
        include_usage=bool((options or {}).get("include_usage")),
    )
