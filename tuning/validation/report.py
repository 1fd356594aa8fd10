"""The validation report of one file: the payload the CLI prints and the pipeline stores."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tuning.validation.issues import Issue
from tuning.validation.stats import Estimate, LengthBins, Summary

__all__ = ["ValidationReport"]


@dataclass
class ValidationReport:
    """Everything validation found in one file. `errors` / `warnings` list the first issues in
    full (see issues.MAX_LISTED_ISSUES); `error_counts` / `warning_counts` count all of them.

    `kind` is the file's role when validated with others (validate_files): training,
    validation or eval. `overlapping_examples` and `overlap_rate` (of the valid examples) say how
    many of a validation or eval file's examples are also in the training file; both are None
    for a training file or a file validated alone.
    """

    file: str
    model: str
    encoding: str
    format: str | None
    bytes: int
    examples: int
    valid_examples: int
    blank_lines: int
    errors: list[Issue]
    warnings: list[Issue]
    error_counts: dict[str, int]
    warning_counts: dict[str, int]
    total_tokens: Summary
    assistant_tokens: Summary
    messages: Summary
    images: int
    over_limit: int
    duplicates: int
    estimate: Estimate
    lengths: LengthBins
    kind: str | None = None
    method: str | None = None
    training_type: str | None = None
    data_scan: str = "warn"
    overlapping_examples: int | None = None
    overlap_rate: float | None = None

    @property
    def valid(self) -> bool:
        return not self.error_counts

    def to_dict(self) -> dict[str, Any]:
        """The JSON object `python -m tuning validate --json` prints for this file."""
        return {
            "file": self.file,
            "kind": self.kind,
            "valid": self.valid,
            "format": self.format,
            "model": self.model,
            "method": self.method,
            "training_type": self.training_type,
            "encoding": self.encoding,
            "data_scan": self.data_scan,
            "bytes": self.bytes,
            "examples": self.examples,
            "valid_examples": self.valid_examples,
            "invalid_examples": self.examples - self.valid_examples,
            "blank_lines": self.blank_lines,
            "errors": [issue.to_dict() for issue in self.errors],
            "warnings": [issue.to_dict() for issue in self.warnings],
            "error_counts": dict(sorted(self.error_counts.items())),
            "warning_counts": dict(sorted(self.warning_counts.items())),
            "tokens": {"total": self.total_tokens.to_dict(), "assistant": self.assistant_tokens.to_dict()},
            "messages": self.messages.to_dict(),
            "images": self.images,
            "over_limit": self.over_limit,
            "duplicates": self.duplicates,
            "overlap": {"examples": self.overlapping_examples, "rate": self.overlap_rate},
            "length_histogram": self.lengths.to_dict(),
            "estimate": self.estimate.to_dict(),
        }
