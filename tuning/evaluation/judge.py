"""The llm_judge grader: the chat request that asks a grader deployment for a score, and the parser
of its reply.

The prompt lives in one versioned file (prompts/llm_judge.v1.md) and its version goes into every
report. The contract is shared with the local emulator's judge and must stay exactly as it is:
the last user message holds the question, the reference and the answer inside `<question>`,
`<reference>` and `<answer>` tags, the request asks for `response_format={"type": "json_object"}`,
and the reply is `{"score": <integer 1-10>, "reasoning": "..."}`. A score of 1 maps to 0.0 and 10
to 1.0, linearly, so judge scores sit on the same [0, 1] scale as the other graders.

The values are data written by users and models: a literal `</answer>` (or any of the contract's
tags) inside them is defused to `&lt;/answer&gt;`, so no value can close its tag early and smuggle
text into another one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from tuning.evaluation.examples import PromptMessage

__all__ = [
    "DEFAULT_RUBRIC",
    "JUDGE_PROMPT_VERSION",
    "JUDGE_RESPONSE_FORMAT",
    "JudgeReplyError",
    "judge_messages",
    "parse_judge_reply",
]

JUDGE_PROMPT_FILE = Path(__file__).resolve().parent / "prompts" / "llm_judge.v1.md"
JUDGE_PROMPT_VERSION = JUDGE_PROMPT_FILE.name.removesuffix(".md")
JUDGE_RESPONSE_FORMAT = {"type": "json_object"}
DEFAULT_RUBRIC = (
    "The answer must state the same facts as the reference, correctly, and in the same tone and "
    "style as the reference."
)
MIN_SCORE, MAX_SCORE = 1, 10

_MESSAGE_MARKER = re.compile(r"^<!-- message: (system|user) -->\n", re.MULTILINE)
_PLACEHOLDER = re.compile(r"\{\{(rubric|question|reference|answer)\}\}")
_CONTRACT_TAG = re.compile(r"<(/?)(question|reference|answer)>", re.IGNORECASE)
_EXCERPT = 200


class JudgeReplyError(ValueError):
    """The judge's reply is not the JSON the prompt asked for; the message quotes the start of it."""


@cache
def _template() -> tuple[tuple[str, str], ...]:
    """(role, text) of each message in the prompt file, the header comment dropped."""
    text = JUDGE_PROMPT_FILE.read_text(encoding="utf-8")
    parts = _MESSAGE_MARKER.split(text)
    pairs = tuple(zip(parts[1::2], (part.strip() for part in parts[2::2]), strict=True))
    if [role for role, _ in pairs] != ["system", "user"]:
        raise RuntimeError(f"{JUDGE_PROMPT_FILE.name}: expected a system then a user message marker")
    return pairs


def _defuse(text: str) -> str:
    return _CONTRACT_TAG.sub(lambda match: f"&lt;{match.group(1)}{match.group(2)}&gt;", text)


def render_question(prompt: Sequence[PromptMessage]) -> str:
    """The conversation the answer replies to: the user's text alone for a single user turn, else
    every turn as `role: text`, so the judge sees the system prompt that sets the expected style."""
    if len(prompt) == 1 and prompt[0].role == "user":
        return prompt[0].content
    return "\n\n".join(f"{message.role}: {message.content}" for message in prompt)


def judge_messages(
    prompt: Sequence[PromptMessage], reference: str, answer: str, rubric: str | None = None
) -> list[dict[str, str]]:
    """The `messages` of the judge's chat request (send with `response_format=JUDGE_RESPONSE_FORMAT`)."""
    values = {
        "rubric": _defuse(rubric or DEFAULT_RUBRIC),
        "question": _defuse(render_question(prompt)),
        "reference": _defuse(reference),
        "answer": _defuse(answer),
    }
    return [
        {"role": role, "content": _PLACEHOLDER.sub(lambda match: values[match.group(1)], text)}
        for role, text in _template()
    ]


def parse_judge_reply(text: str | None) -> float:
    """The judge's 1-10 score mapped onto [0, 1]; JudgeReplyError for anything but the agreed JSON."""
    if text is None or not text.strip():
        raise JudgeReplyError("the judge's reply is empty")
    try:
        reply = json.loads(text)
    except ValueError:
        raise JudgeReplyError(f"the judge's reply is not JSON: {_excerpt(text)}") from None
    if not isinstance(reply, dict) or "score" not in reply:
        raise JudgeReplyError(f'the judge\'s reply has no "score": {_excerpt(text)}')
    value = reply["score"]
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 7.0 is still the integer the prompt asked for
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_SCORE <= value <= MAX_SCORE:
        raise JudgeReplyError(
            f'"score" must be an integer from {MIN_SCORE} to {MAX_SCORE}, got {json.dumps(value)[:_EXCERPT]}'
        )
    return (value - MIN_SCORE) / (MAX_SCORE - MIN_SCORE)


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= _EXCERPT else flat[: _EXCERPT - 1] + "…")
