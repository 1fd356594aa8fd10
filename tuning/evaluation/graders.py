"""The graders computed locally: pure functions of (prompt, reference, answer) -> a score in [0, 1].

The text graders follow SQuAD's answer normalisation (lower case, ASCII punctuation removed, the
articles a/an/the removed, whitespace collapsed), and `token_f1` is the F1 over normalised
whitespace tokens exactly as azure-ai-evaluation's `F1ScoreEvaluator._compute_f1_score` computes
it (including its 0.0 when nothing is shared, even if both texts are empty). The SDK itself is
not imported: it pulls pandas, nltk, Jinja2 and msrest into the function app and takes seconds
to import, for a dozen lines of arithmetic (see the package README).

`llm_judge` is not pure (it needs a chat call): its score comes from `judge.parse_judge_reply`.
"""

from __future__ import annotations

import json
import re
import string
from collections import Counter
from collections.abc import Callable, Sequence

from tuning.evaluation.examples import PromptMessage
from tuning.evaluation.options import LlmJudgeGrader, SimpleGrader

__all__ = ["GraderError", "normalize_text", "parse_json_strict", "score"]

_PUNCTUATION = frozenset(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")


class GraderError(ValueError):
    """A grader cannot score this example (a json_match reference that is not JSON, a judge via score)."""


def normalize_text(text: str) -> str:
    """SQuAD's normalisation, in SQuAD's (and the SDK's) order: lower, punctuation, articles, spaces."""
    lowered = text.lower()
    without_punctuation = "".join(character for character in lowered if character not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", without_punctuation).split())


def _exact_match(reference: str, answer: str) -> float:
    return float(normalize_text(answer) == normalize_text(reference))


def _token_f1(reference: str, answer: str) -> float:
    answer_tokens = normalize_text(answer).split()
    reference_tokens = normalize_text(reference).split()
    shared = sum((Counter(answer_tokens) & Counter(reference_tokens)).values())
    if shared == 0:
        return 0.0
    precision = shared / len(answer_tokens)
    recall = shared / len(reference_tokens)
    return 2 * precision * recall / (precision + recall)


def _contains(reference: str, answer: str) -> float:
    """Whether the normalised reference appears in the normalised answer as whole words.

    Matching on word boundaries keeps "cat" from being found in "concatenate"; an empty normalised
    reference ("The.") contains nothing to look for and scores 0.
    """
    needle = normalize_text(reference)
    return float(bool(needle) and f" {needle} " in f" {normalize_text(answer)} ")


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def parse_json_strict(text: str) -> object:
    """Parse RFC 8259 JSON: surrounding whitespace allowed, NaN/Infinity and code fences are not.

    An application that reads structured output with a JSON parser fails on a Markdown fence too,
    so a fenced answer is not valid JSON here either.
    """
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def _canonical(value: object) -> object:
    """A comparable form in which true is not 1 and false is not 0 (Python says they are equal)."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, dict):
        return {key: _canonical(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_canonical(item) for item in value]
    return value


def _json_valid(reference: str, answer: str) -> float:
    del reference  # whether the answer parses is all that counts
    try:
        parse_json_strict(answer)
    except ValueError:
        return 0.0
    return 1.0


def _json_match(reference: str, answer: str) -> float:
    """Parsed JSON equal, key order ignored; numbers compare by value (1 equals 1.0)."""
    try:
        expected = parse_json_strict(reference)
    except ValueError as error:
        raise GraderError(f"json_match needs a JSON reference: {error}") from None
    try:
        given = parse_json_strict(answer)
    except ValueError:
        return 0.0
    return float(_canonical(given) == _canonical(expected))


_SCORERS: dict[str, Callable[[str, str], float]] = {
    "exact_match": _exact_match,
    "token_f1": _token_f1,
    "contains": _contains,
    "json_valid": _json_valid,
    "json_match": _json_match,
}


def score(
    grader: SimpleGrader | LlmJudgeGrader | str,
    *,
    prompt: Sequence[PromptMessage],
    reference: str,
    answer: str,
) -> float:
    """The grader's score of `answer` against `reference`, in [0, 1].

    `prompt` is part of the signature so that every grader is called the same way; none of the
    local graders needs it. A missing answer should be passed as "" (it scores 0 except for
    exact_match against an equally empty reference).
    """
    del prompt
    name = grader if isinstance(grader, str) else grader.type
    if name == "llm_judge":
        raise GraderError("llm_judge is scored by a chat call: use judge_messages and parse_judge_reply")
    try:
        scorer = _SCORERS[name]
    except KeyError:
        raise GraderError(f"unknown grader {name!r}; known: {', '.join(_SCORERS)}") from None
    return scorer(reference, answer)
