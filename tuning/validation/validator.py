"""Validates a JSONL fine-tuning dataset in one streaming pass: the public entry points."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from os import PathLike
from typing import BinaryIO

from tuning.catalog import DPO, ModelSpec, resolve_model
from tuning.tokenizers import get_encoding
from tuning.validation.checking import CheckSettings, LineOutcome
from tuning.validation.issues import Issue, IssueLog
from tuning.validation.lines import Batch, LineReader
from tuning.validation.parallel import PARALLEL_AFTER_BYTES, check_batches, default_workers
from tuning.validation.report import ValidationReport
from tuning.validation.rules import PREFERENCE
from tuning.validation.stats import Estimate, Histogram

DEFAULT_MODEL = "gpt-4o-2024-08-06"
DEFAULT_MAX_FILE_BYTES = 512 * 1024 * 1024
MIN_VALID_EXAMPLES = 10
# 8-byte digests: enough to catch duplicates in any realistic file, bounded for absurd ones
# (about 70 MB at the cap); examples after the cap are only compared with earlier ones.
MAX_TRACKED_DIGESTS = 1_000_000


@dataclass
class _Tally:
    """Running totals over the outcomes, fed in line order."""

    errors: IssueLog = field(default_factory=IssueLog)
    warnings: IssueLog = field(default_factory=IssueLog)
    format: str | None = None
    examples: int = 0
    valid: int = 0
    blank_lines: int = 0
    images: int = 0
    over_limit: int = 0
    duplicates: int = 0
    total: Histogram = field(default_factory=Histogram)
    assistant: Histogram = field(default_factory=Histogram)
    messages: Histogram = field(default_factory=Histogram)
    digests: set[int] = field(default_factory=set)

    def add_batch(self, batch: Batch, outcomes: list[LineOutcome]) -> None:
        self.examples += len(batch.lines) + batch.skipped
        for note in batch.notes:
            if note.code == "blank_line":
                self.blank_lines += 1
            (self.errors if note.code == "line_too_long" else self.warnings).add(note)
        for outcome in outcomes:
            self._add(outcome)

    def _add(self, outcome: LineOutcome) -> None:
        errors = outcome.errors
        if outcome.format is not None:
            self.format = self.format or outcome.format
            if outcome.format != self.format:
                errors = [*errors, ("mixed_formats", f"a {outcome.format} example in a {self.format} file")]
        for code, message in errors:
            self.errors.add(Issue(outcome.line, code, message))
        if errors:
            self.over_limit += any(code == "too_many_tokens" for code, _ in errors)
            return
        for code, message in outcome.warnings:
            self.warnings.add(Issue(outcome.line, code, message))
        if outcome.digest in self.digests:
            self.duplicates += 1
            self.warnings.add(
                Issue(outcome.line, "duplicate_example", "the same example appears on an earlier line")
            )
        elif len(self.digests) < MAX_TRACKED_DIGESTS:
            self.digests.add(outcome.digest)
        counts = outcome.counts
        self.valid += 1
        self.images += counts.images
        self.total.add(counts.total)
        self.assistant.add(counts.assistant)
        self.messages.add(counts.messages)

    def file_issues(self, spec: ModelSpec, reader: LineReader, max_file_bytes: int) -> None:
        if reader.too_large:
            self.errors.add(Issue(None, "file_too_large", f"the file is larger than {max_file_bytes} bytes"))
        if not self.examples:
            self.errors.add(Issue(None, "empty_file", "the file has no examples"))
        elif self.valid < MIN_VALID_EXAMPLES:
            self.errors.add(
                Issue(
                    None,
                    "too_few_examples",
                    f"{self.valid} valid examples; at least {MIN_VALID_EXAMPLES} are required",
                )
            )
        if self.format == PREFERENCE and DPO not in spec.methods:
            self.errors.add(
                Issue(
                    None, "unsupported_method", f"{spec.name} does not support preference (DPO) fine-tuning"
                )
            )


def validate_stream(
    stream: BinaryIO,
    name: str,
    model: str = DEFAULT_MODEL,
    *,
    encoding: str | None = None,
    n_epochs: int | None = None,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    price_overrides: Mapping[str, float] | None = None,
    workers: int | None = None,
    parallel_after_bytes: int = PARALLEL_AFTER_BYTES,
) -> ValidationReport:
    """Validates the JSONL dataset read from `stream` (binary; only `.read(n)` is used) in one
    pass with bounded memory. `name` labels the report. `encoding` overrides the model's.

    Raises UnknownModelError for an unknown model and EncodingError for an unknown encoding:
    those are caller mistakes, while everything wrong with the data is in the report.
    """
    spec = resolve_model(model, price_overrides)
    settings = CheckSettings(encoding=encoding or spec.encoding, context_limit=spec.context_limit)
    get_encoding(settings.encoding)  # load (and verify) once here, so forked workers inherit it
    reader = LineReader(stream, max_file_bytes)
    tally = _Tally()
    for batch, outcomes in check_batches(
        settings, reader.batches(), workers or default_workers(), parallel_after_bytes
    ):
        tally.add_batch(batch, outcomes)
    tally.file_issues(spec, reader, max_file_bytes)
    return ValidationReport(
        file=name,
        model=spec.name,
        encoding=settings.encoding,
        format=tally.format,
        bytes=reader.bytes_read,
        examples=tally.examples,
        valid_examples=tally.valid,
        blank_lines=tally.blank_lines,
        errors=_in_line_order(tally.errors.listed),
        warnings=_in_line_order(tally.warnings.listed),
        error_counts=dict(tally.errors.counts),
        warning_counts=dict(tally.warnings.counts),
        total_tokens=tally.total.summary(),
        assistant_tokens=tally.assistant.summary(),
        messages=tally.messages.summary(),
        images=tally.images,
        over_limit=tally.over_limit,
        duplicates=tally.duplicates,
        estimate=Estimate.compute(
            tally.total, spec.context_limit, n_epochs, spec.training_price_per_1m_tokens
        ),
    )


def validate_path(
    path: str | PathLike[str], model: str = DEFAULT_MODEL, **options: object
) -> ValidationReport:
    """validate_stream on a local file; the report's `file` is the path as given."""
    with open(path, "rb") as stream:
        return validate_stream(stream, str(path), model, **options)


def _in_line_order(issues: list[Issue]) -> list[Issue]:
    """File-level issues first, then by line (batches reach the tally slightly out of order)."""
    return sorted(issues, key=lambda issue: (issue.line is not None, issue.line or 0))
