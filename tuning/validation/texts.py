"""The strings of a validated message that reach the model as text.

Special-token, secret and personal-data checks read exactly these: the content (a string, or
the text parts of a list; image parts are pictures, not text), the name, and the names and
arguments of tool and function calls.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

__all__ = ["message_strings"]


def message_strings(message: Mapping[str, object]) -> Iterator[str]:
    """Every text string of one structurally valid message (see rules.check_example)."""
    content = message.get("content")
    if type(content) is str:
        yield content
    elif isinstance(content, list):
        yield from (part["text"] for part in content if part.get("type") == "text")
    name = message.get("name")
    if isinstance(name, str):
        yield name
    calls = message.get("tool_calls")
    if isinstance(calls, list):
        for call in calls:
            yield call["function"]["name"]
            yield call["function"]["arguments"]
    call = message.get("function_call")
    if isinstance(call, Mapping):
        yield call["name"]
        yield call["arguments"]
