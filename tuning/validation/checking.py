"""Checks batches of lines: decode, parse, apply the rules, count tokens, fingerprint.

This is the CPU-heavy part, so it is a pure function of (settings, batch) that can run in the
calling process or in a worker process; each process keeps one TokenCounter per setting.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from tuning.tokenizers import get_encoding
from tuning.validation.counting import ExampleCounts, TokenCounter
from tuning.validation.rules import Finding, Findings, check_example, detect_format


@dataclass(frozen=True)
class CheckSettings:
    """What a worker needs to check lines: small and picklable."""

    encoding: str
    context_limit: int


class LineOutcome(NamedTuple):
    """The result for one non-blank line. `counts` is set when the example is well-formed (even
    if too long); `digest` (for duplicate detection) only when it has no errors at all."""

    line: int
    format: str | None
    errors: list[Finding]
    warnings: list[Finding]
    counts: ExampleCounts | None
    digest: int | None


@lru_cache(maxsize=4)
def _counter(encoding: str) -> TokenCounter:
    return TokenCounter(get_encoding(encoding))


def check_batch(settings: CheckSettings, lines: list[tuple[int, bytes]]) -> list[LineOutcome]:
    counter = _counter(settings.encoding)
    return [check_line(number, raw, counter, settings.context_limit) for number, raw in lines]


def check_line(number: int, raw: bytes, counter: TokenCounter, context_limit: int) -> LineOutcome:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _failed(number, "invalid_utf8", f"byte {exc.start} is not valid UTF-8")
    try:
        example = json.loads(text)
    except json.JSONDecodeError as exc:
        return _failed(number, "invalid_json", f"invalid JSON: {exc.msg} at column {exc.colno}")
    except RecursionError:
        return _failed(number, "invalid_json", "invalid JSON: nested too deeply")
    if not isinstance(example, dict):
        return _failed(number, "not_an_object", f"the line is a JSON {type(example).__name__}, not an object")
    fmt = detect_format(example)
    findings = Findings()
    messages = check_example(example, fmt, findings)
    if messages is None:
        return LineOutcome(number, fmt, findings.errors, findings.warnings, None, None)
    counts = counter.example(messages)
    if counts.total > context_limit:
        findings.error(
            "too_many_tokens", f"{counts.total} tokens, above the model's limit of {context_limit}"
        )
        return LineOutcome(number, fmt, findings.errors, [], counts, None)
    return LineOutcome(number, fmt, [], findings.warnings, counts, _digest(example))


def _failed(number: int, code: str, message: str) -> LineOutcome:
    return LineOutcome(number, None, [(code, message)], [], None, None)


def _digest(example: dict[str, object]) -> int:
    """An 8-byte fingerprint of the parsed example, so JSON spacing, escapes ("\u00e9" vs "é")
    and number spelling do not hide a duplicate; key order does count. Pickling the parsed
    object is several times cheaper than canonical JSON and deterministic for equal documents
    (json.loads shares key strings the same way in both)."""
    return int.from_bytes(hashlib.blake2b(pickle.dumps(example, 5), digest_size=8).digest(), "little")
