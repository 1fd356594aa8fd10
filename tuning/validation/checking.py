"""Checks batches of lines: decode, parse, apply the rules, count tokens, scan, fingerprint.

This is the CPU-heavy part, so it is a pure function of (settings, batch) that can run in the
calling process or in a worker process; each process keeps one set of LineTools per setting.
A batch is checked in three passes: each line parsed and its structure checked; the new texts
of all its usable examples counted (TextReader.examples, one loop for the tokenizer); then each
example's counts, scans and fingerprint.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import orjson

from tuning.tokenizers import get_encoding
from tuning.validation.counting import ExampleCounts, ExampleText, TextReader
from tuning.validation.fingerprints import split_digests
from tuning.validation.rules import Finding, Findings, Message, check_example, detect_format
from tuning.validation.scanning import CHECKS, DataScan, DataScanner, TextGate
from tuning.validation.special_tokens import SpecialTokens
from tuning.validation.vision import check_images

__all__ = [
    "CheckSettings",
    "LineOutcome",
    "LineTools",
    "PackedOutcome",
    "check_batch",
    "check_line",
    "check_packed",
    "line_tools",
]


@dataclass(frozen=True)
class CheckSettings:
    """What a worker needs to check lines: small and picklable."""

    encoding: str
    context_limit: int
    model: str
    supports_images: bool
    data_scan: DataScan = "warn"


class LineOutcome(NamedTuple):
    """The result for one non-blank line. `counts` is set when the example is well-formed (even
    if too long); `fingerprint` (prompt and answer digests) only when it has no errors at all."""

    line: int
    format: str | None
    errors: list[Finding]
    warnings: list[Finding]
    counts: ExampleCounts | None
    fingerprint: tuple[int, int] | None


@dataclass(frozen=True)
class LineTools:
    """The per-setting helpers, built once per process (loading an encoding takes a second).

    `gate` holds, in one RE2 set, the special tokens (pattern 0) and the data scan's patterns
    (from 1, when the scan is on): one pass over all the text of an example says which closer
    looks it needs, so the text is read once whatever the rules (one pass per example costs
    less than one per string).
    """

    settings: CheckSettings
    reader: TextReader
    special_tokens: SpecialTokens
    scanner: DataScanner | None
    gate: TextGate


@lru_cache(maxsize=4)
def line_tools(settings: CheckSettings) -> LineTools:
    encoding = get_encoding(settings.encoding)
    special_tokens = SpecialTokens(encoding)
    scanner = None if settings.data_scan == "off" else DataScanner(settings.data_scan)
    patterns = [special_tokens.pattern, *(check.gate for check in CHECKS if scanner is not None)]
    return LineTools(settings, TextReader(encoding), special_tokens, scanner, TextGate(patterns))


def check_batch(settings: CheckSettings, lines: list[tuple[int, bytes]]) -> list[LineOutcome]:
    return _check_lines(lines, line_tools(settings))


# A LineOutcome as plain tuples: named tuples pickle ten times slower, and a worker process sends
# one outcome per line back to the main process. A LineOutcome is a PackedOutcome too, so the
# tally reads both alike, by position.
PackedOutcome = tuple[
    int, str | None, list[Finding], list[Finding], tuple[int, ...] | None, tuple[int, int] | None
]


def check_packed(settings: CheckSettings, lines: list[tuple[int, bytes]]) -> list[PackedOutcome]:
    """check_batch for a worker process: the outcomes packed for the trip back."""
    return [
        (o.line, o.format, o.errors, o.warnings, None if o.counts is None else tuple(o.counts), o.fingerprint)
        for o in check_batch(settings, lines)
    ]


def check_line(number: int, raw: bytes, tools: LineTools) -> LineOutcome:
    (outcome,) = _check_lines([(number, raw)], tools)
    return outcome


class _Usable(NamedTuple):
    """A line that parsed and passed the structural rules, ready for counting."""

    number: int
    example: dict[str, object]
    format: str
    findings: Findings
    messages: list[Message]


def _check_lines(lines: list[tuple[int, bytes]], tools: LineTools) -> list[LineOutcome]:
    started = [_start(number, raw) for number, raw in lines]
    texts = iter(tools.reader.examples([line.messages for line in started if isinstance(line, _Usable)]))
    return [_finish(line, next(texts), tools) if isinstance(line, _Usable) else line for line in started]


def _start(number: int, raw: bytes) -> LineOutcome | _Usable:
    """Parses the line and applies the structural rules: the outcome of an unusable line."""
    example = _parse(raw)
    if isinstance(example, Finding):
        return LineOutcome(number, None, [example], [], None, None)
    fmt = detect_format(example)
    findings = Findings()
    messages = check_example(example, fmt, findings)
    if messages is None:
        return LineOutcome(number, fmt, findings.errors, findings.warnings, None, None)
    return _Usable(number, example, fmt, findings, messages)


def _finish(line: _Usable, text: ExampleText, tools: LineTools) -> LineOutcome:
    """The rules on a usable example's counts and text, and its fingerprint."""
    number, example, fmt, findings, messages = line
    settings = tools.settings
    counts = text.counts
    if counts.total > settings.context_limit:
        findings.error(
            "too_many_tokens", f"{counts.total} tokens, above the model's limit of {settings.context_limit}"
        )
    if counts.images:
        check_images(messages, settings.supports_images, settings.model, findings)
    found = tools.gate.matches(b"\n".join([string.encode() for string in text.strings]))
    if found and found[0] == 0:
        tools.special_tokens.check(messages, findings)
    if found and found[-1] > 0 and tools.scanner is not None:
        tools.scanner.check(messages, findings)
    if findings.errors:  # advice on an unusable example is noise next to its errors
        return LineOutcome(number, fmt, findings.errors, [], counts, None)
    fingerprint = split_digests(text.digests, _prompt_length(example, text.last_assistant))
    return LineOutcome(number, fmt, [], findings.warnings, counts, fingerprint)


def _prompt_length(example: Mapping[str, object], last_assistant: int) -> int:
    """How many of the checked messages are the prompt: those before the last assistant message,
    or for preference data (input messages, then both outputs) the input's."""
    source = example.get("input")
    if "messages" not in example and isinstance(source, Mapping):
        return len(source["messages"])
    return last_assistant


def _parse(raw: bytes) -> dict[str, object] | Finding:
    """The line's JSON object, or the finding that says why there is none. orjson parses the
    common case; the standard library's messages (and leniency: NaN, huge integers) for the rest."""
    try:
        example = orjson.loads(raw)
    except orjson.JSONDecodeError:
        try:
            example = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            return Finding("invalid_utf8", f"byte {exc.start} is not valid UTF-8")
        except json.JSONDecodeError as exc:
            return Finding("invalid_json", f"invalid JSON: {exc.msg} at column {exc.colno}")
        except RecursionError:
            return Finding("invalid_json", "invalid JSON: nested too deeply")
    if not isinstance(example, dict):
        return Finding("not_an_object", f"the line is a JSON {type(example).__name__}, not an object")
    return example
