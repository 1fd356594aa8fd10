"""Validates JSONL fine-tuning datasets in one streaming pass each: the public entry points.

`validate_stream` checks one file. `validate_files` checks a run's files together, training
first: the training file's fingerprints then find the validation and eval examples that repeat
a training example (`overlaps_training`), which would make validation loss and checkpoint choice
measure memorisation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from typing import Any, BinaryIO, Literal

from tuning.catalog import (
    DPO,
    SUPERVISED,
    ModelSpec,
    check_training_combination,
    parse_training_type,
    resolve_model,
)
from tuning.tokenizers import get_encoding
from tuning.validation.checking import CheckSettings, PackedOutcome
from tuning.validation.fingerprints import Fingerprints, TrainingIndex
from tuning.validation.issues import Issue, IssueLog
from tuning.validation.lines import Batch, LineReader
from tuning.validation.parallel import PARALLEL_AFTER_BYTES, check_batches, default_workers
from tuning.validation.report import ValidationReport
from tuning.validation.rules import CHAT, PREFERENCE, Finding
from tuning.validation.scanning import DataScan
from tuning.validation.stats import Estimate, Histogram, LengthBins

__all__ = [
    "DEFAULT_MAX_FILE_BYTES",
    "DEFAULT_MODEL",
    "MIN_VALID_EXAMPLES",
    "DatasetKind",
    "DatasetSource",
    "validate_files",
    "validate_path",
    "validate_stream",
]

DEFAULT_MODEL = "gpt-4o-2024-08-06"
# Upload limit of a fine-tuning file (quotas-limits, "Max file size for Assistants & fine-tuning").
DEFAULT_MAX_FILE_BYTES = 512 * 1024 * 1024
# The service needs at least 10 examples (how-to/fine-tuning-troubleshoot: "10 is the minimum";
# how-to/fine-tuning-vision: "at least 10 examples").
MIN_VALID_EXAMPLES = 10
DatasetKind = Literal["training", "validation", "eval"]
_FORMAT_OF_METHOD = {SUPERVISED: CHAT, DPO: PREFERENCE}


@dataclass(frozen=True)
class DatasetSource:
    """One file of a run: its role, the name reports give it, and how to open it (a binary
    stream, read once with `.read(n)` and closed by the validator)."""

    kind: DatasetKind
    name: str
    open: Callable[[], BinaryIO]


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
    total: Histogram = field(default_factory=Histogram)
    assistant: Histogram = field(default_factory=Histogram)
    messages: Histogram = field(default_factory=Histogram)
    rejected_lengths: Histogram = field(default_factory=Histogram)  # counted, but with errors
    fingerprints: Fingerprints = field(default_factory=Fingerprints)

    def add_batch(self, batch: Batch, outcomes: Sequence[PackedOutcome]) -> None:
        self.examples += len(batch.lines) + batch.skipped
        for note in batch.notes:
            if note.code == "blank_line":
                self.blank_lines += 1
            (self.errors if note.code == "line_too_long" else self.warnings).add(note)
        counted = [counts for counts in map(self._add, outcomes) if counts is not None]
        if counted:  # the valid examples' counts, added a batch at a time
            total, assistant, messages, images = zip(*counted, strict=True)
            self.total.add_all(total)
            self.assistant.add_all(assistant)
            self.messages.add_all(messages)
            self.images += sum(images)
            self.valid += len(counted)

    def _add(self, outcome: PackedOutcome) -> tuple[int, ...] | None:
        """Records the outcome's issues and fingerprint; the counts of a valid example. Reads
        the outcome by position: a LineOutcome (inline) and its packed form (from a worker
        process, not unpacked again) are the same tuple."""
        line, fmt, errors, warnings, counts, fingerprint = outcome
        if fmt is not None:
            self.format = self.format or fmt
            if fmt != self.format:
                errors = [*errors, Finding("mixed_formats", f"a {fmt} example in a {self.format} file")]
        for finding in errors:
            self.errors.add(Issue(line, *finding))
        if errors or counts is None or fingerprint is None:
            self.over_limit += any(finding.code == "too_many_tokens" for finding in errors)
            if counts is not None:
                total, *_ = counts
                self.rejected_lengths.add(total)
            return None
        for finding in warnings:
            self.warnings.add(Issue(line, *finding))
        self.fingerprints.add(line, *fingerprint)
        return counts

    def repeats(self) -> int:
        """Warns of duplicates and conflicting answers within the file; returns the duplicates."""
        duplicates, conflicts = self.fingerprints.repeats()
        for line, earlier in duplicates:
            message = f"the same example (ignoring whitespace and case) is on line {earlier}"
            self.warnings.add(Issue(line, "duplicate_example", message))
        for line, earlier in conflicts:
            message = f"line {earlier} has the same prompt with another answer: the model learns both"
            self.warnings.add(Issue(line, "conflicting_answers", message))
        return len(duplicates)

    def overlaps(self, training: TrainingIndex) -> int:
        lines = self.fingerprints.overlaps(training)
        for line in lines:
            message = "the prompt and answer are also in the training file, so this measures memorisation"
            self.warnings.add(Issue(line, "overlaps_training", message))
        return len(lines)

    def file_issues(
        self, spec: ModelSpec, reader: LineReader, max_file_bytes: int, method: str | None
    ) -> None:
        if reader.too_large:
            self.errors.add(Issue(None, "file_too_large", f"the file is larger than {max_file_bytes} bytes"))
        if not self.examples:
            self.errors.add(Issue(None, "empty_file", "the file has no examples"))
        elif self.valid < MIN_VALID_EXAMPLES:
            message = f"{self.valid} valid examples; at least {MIN_VALID_EXAMPLES} are required"
            self.errors.add(Issue(None, "too_few_examples", message))
        if self.format == PREFERENCE and DPO not in spec.methods:
            supported = ", ".join(spec.methods)
            message = f"{spec.name} does not support preference (DPO) fine-tuning; it supports {supported}"
            self.errors.add(Issue(None, "unsupported_method", message))
        expected = _FORMAT_OF_METHOD.get(method or "")
        if expected is not None and self.format not in (None, expected):
            message = f"the file holds {self.format} data but the run's method is {method} ({expected} data)"
            self.errors.add(Issue(None, "method_mismatch", message))


def validate_stream(
    stream: BinaryIO,
    name: str,
    model: str = DEFAULT_MODEL,
    *,
    encoding: str | None = None,
    n_epochs: int | None = None,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    price_overrides: Mapping[str, float] | None = None,
    method: str | None = None,
    training_type: str | None = None,
    data_scan: DataScan = "warn",
    workers: int | None = None,
    parallel_after_bytes: int = PARALLEL_AFTER_BYTES,
) -> ValidationReport:
    """Validates the JSONL dataset read from `stream` (binary; only `.read(n)` is used) in one
    pass with bounded memory. `name` labels the report. `encoding` overrides the model's.
    `method` (supervised, dpo), when given, must fit the file's format. `training_type` picks the
    price of the estimate (default: the Standard price). `data_scan` decides whether possible
    secrets and personal data are warnings ("warn"), errors ("error") or not looked for ("off").

    Raises UnknownModelError for an unknown model, EncodingError for an unknown encoding and
    UnsupportedCombinationError for a training type the model does not offer: those are caller
    mistakes, while everything wrong with the data is in the report.
    """
    spec = resolve_model(model, price_overrides)
    if training_type is not None:
        check_training_combination(spec, method or SUPERVISED, training_type)
        training_type = parse_training_type(training_type)
    run = _Run(
        spec, n_epochs, max_file_bytes, method, training_type, data_scan, workers, parallel_after_bytes
    )
    report, _ = run.validate(stream, name, encoding=encoding)
    return report


def validate_files(
    files: Sequence[DatasetSource],
    *,
    model: str = DEFAULT_MODEL,
    method: str = SUPERVISED,
    training_type: str = "Standard",
    n_epochs: int | None = None,
    data_scan: DataScan = "warn",
    price_overrides: Mapping[str, float] | None = None,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    workers: int | None = None,
    parallel_after_bytes: int = PARALLEL_AFTER_BYTES,
) -> list[ValidationReport]:
    """Validates a run's files, one report each in the order given. The training file (at most
    one) is read first and its fingerprints (8 bytes per example) kept while the validation and
    eval files are checked against it. Raises UnsupportedCombinationError, before reading
    anything, when the model does not offer `method` or `training_type`, and ValueError for more
    than one training file.
    """
    spec = resolve_model(model, price_overrides)
    check_training_combination(spec, method, training_type)
    training_type = parse_training_type(training_type)
    if sum(source.kind == "training" for source in files) > 1:
        raise ValueError("a run has one training file; got " + ", ".join(s.name for s in files))
    run = _Run(
        spec, n_epochs, max_file_bytes, method, training_type, data_scan, workers, parallel_after_bytes
    )
    reports: dict[int, ValidationReport] = {}
    training: TrainingIndex | None = None
    for position, source in sorted(enumerate(files), key=lambda item: item[1].kind != "training"):
        with source.open() as stream:
            report, fingerprints = run.validate(stream, source.name, kind=source.kind, training=training)
        if source.kind == "training":
            training = fingerprints.index()
        reports[position] = report
    return [reports[position] for position in range(len(files))]


def validate_path(path: str | PathLike[str], model: str = DEFAULT_MODEL, **options: Any) -> ValidationReport:
    """validate_stream on a local file; the report's `file` is the path as given."""
    with open(path, "rb") as stream:
        return validate_stream(stream, str(path), model, **options)


@dataclass(frozen=True)
class _Run:
    """The settings shared by the files of one validation."""

    spec: ModelSpec
    n_epochs: int | None
    max_file_bytes: int
    method: str | None
    training_type: str | None
    data_scan: DataScan
    workers: int | None
    parallel_after_bytes: int

    def price(self) -> float | None:
        if self.training_type is None:
            return self.spec.training_price_per_1m_tokens
        return self.spec.training_price(self.training_type)

    def validate(
        self,
        stream: BinaryIO,
        name: str,
        *,
        encoding: str | None = None,
        kind: DatasetKind | None = None,
        training: TrainingIndex | None = None,
    ) -> tuple[ValidationReport, Fingerprints]:
        spec = self.spec
        price = self.price()
        settings = CheckSettings(
            encoding=encoding or spec.encoding,
            context_limit=spec.context_limit,
            model=spec.name,
            supports_images=spec.supports_images,
            data_scan=self.data_scan,
        )
        get_encoding(settings.encoding)  # load (and verify) once here, so forked workers inherit it
        reader = LineReader(stream, self.max_file_bytes)
        tally = _Tally()
        batches = check_batches(
            settings, reader.batches(), self.workers or default_workers(), self.parallel_after_bytes
        )
        for batch, outcomes in batches:
            tally.add_batch(batch, outcomes)
        duplicates = tally.repeats()
        overlapping = None if training is None else tally.overlaps(training)
        tally.file_issues(spec, reader, self.max_file_bytes, self.method)
        report = ValidationReport(
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
            duplicates=duplicates,
            estimate=Estimate.compute(tally.total, spec.context_limit, self.n_epochs, price),
            lengths=LengthBins.compute([tally.total, tally.rejected_lengths], spec.context_limit),
            kind=kind,
            method=self.method,
            training_type=self.training_type,
            data_scan=self.data_scan,
            overlapping_examples=overlapping,
            overlap_rate=None if overlapping is None else overlapping / max(len(tally.fingerprints), 1),
        )
        return report, tally.fingerprints


def _in_line_order(issues: list[Issue]) -> list[Issue]:
    """File-level issues first, then by line (batches reach the tally slightly out of order)."""
    return sorted(issues, key=lambda issue: (issue.line is not None, issue.line or 0))
