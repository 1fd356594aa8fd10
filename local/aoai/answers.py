"""What a deployment answers: a fine-tuned model recalls its training data, a base model does not.

- A fine-tuned model (and each checkpoint) answers a prompt with the assistant reply of its
  most similar training example. Similarity is the Jaccard overlap of the lower-cased word sets
  of the user messages (`\\w+` tokens) of the request and of the example's prompt. A model
  reproduces that reply only if the similarity reaches its threshold: 0.1 for the final model,
  rising linearly to 0.6 for a checkpoint at step 0 (`threshold(progress)`), so a later
  checkpoint is closer to the training data than an earlier one. Below it, the model answers
  like a base model.
- A base model answers generically: one of a few bland sentences, picked by a hash of the
  prompt, sharing little with any reference answer.
- Any deployment acts as an LLM judge when the last user message holds `<reference>...</reference>`
  and `<answer>...</answer>` (and optionally `<question>...</question>`) and JSON output is asked
  for: it answers `{"score": <1-10>, "reasoning": "..."}` with score = 1 + round(9 * F1), where
  F1 is the token-overlap F1 (SQuAD-style, lower-cased `\\w+` tokens counted with multiplicity)
  of answer against reference: identical texts score 10, disjoint ones 1.

Everything is deterministic: the same request to the same model always gets the same answer.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from local.aoai.tokens import content_text

__all__ = ["Model", "judge", "judge_inputs", "reply", "threshold", "token_f1"]

WORD = re.compile(r"\w+")
TAG = re.compile(r"<(reference|answer|question)>(.*?)</\1>", re.DOTALL)
FINAL_THRESHOLD = 0.1
EARLIEST_THRESHOLD = 0.6
GENERIC = (
    "I am not able to give a reliable answer to that right now.",
    "I would rather not guess; please consult an authoritative source.",
    "That is outside what I can answer with confidence.",
)


@dataclass(frozen=True)
class Model:
    """What a deployment runs: a base model, or a fine-tuned one with its examples and progress (0..1]."""

    name: str
    examples: tuple[tuple[str, str], ...] = ()
    progress: float = 1.0


def _words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def threshold(progress: float) -> float:
    """The similarity a model needs before it reproduces a training reply."""
    return FINAL_THRESHOLD + (EARLIEST_THRESHOLD - FINAL_THRESHOLD) * (1.0 - progress)


def _similarity(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def _user_text(messages: list[dict[str, Any]]) -> str:
    return " ".join(content_text(m.get("content")) for m in messages if m.get("role") == "user")


def _generic(prompt: str) -> str:
    index = int(hashlib.sha256(prompt.encode()).hexdigest(), 16) % len(GENERIC)
    return GENERIC[index]


def reply(model: Model, messages: list[dict[str, Any]]) -> str:
    prompt = _user_text(messages)
    asked = set(_words(prompt))
    if model.examples:
        scored = [(_similarity(asked, set(_words(p))), index) for index, (p, _) in enumerate(model.examples)]
        best, index = max(scored, key=lambda pair: (pair[0], -pair[1]))
        if best >= threshold(model.progress):
            return model.examples[index][1]
    return _generic(prompt)


def judge_inputs(messages: list[dict[str, Any]]) -> tuple[str, str] | None:
    """(answer, reference) when the last user message is a grading request in the shared tag contract."""
    last = next((m for m in reversed(messages) if m.get("role") == "user"), None)
    if last is None:
        return None
    tags = dict(TAG.findall(content_text(last.get("content"))))
    if "reference" not in tags or "answer" not in tags:
        return None
    return tags["answer"], tags["reference"]


def token_f1(answer: str, reference: str) -> float:
    predicted, expected = Counter(_words(answer)), Counter(_words(reference))
    if not predicted and not expected:
        return 1.0
    common = sum((predicted & expected).values())
    if common == 0:
        return 0.0
    precision, recall = common / sum(predicted.values()), common / sum(expected.values())
    return 2 * precision * recall / (precision + recall)


def judge(answer: str, reference: str) -> dict[str, Any]:
    f1 = token_f1(answer, reference)
    score = 1 + round(9 * f1)
    return {"score": score, "reasoning": f"The answer's token overlap with the reference is F1 = {f1:.2f}."}
