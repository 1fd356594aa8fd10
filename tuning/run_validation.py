"""Validating a run's datasets: the pinned versions, through the validator, into report blobs.

All files of a run are validated in one step, training first, because the validator checks the
validation and evaluation files against the training file (leakage). Each file's full report is
a blob beside the run report; the orchestration keeps only a summary.
"""

from __future__ import annotations

from typing import Any

from tuning.clients import Clients
from tuning.payloads import DatasetKind, LineIssue, ValidateInput, ValidationResult, ValidationSummary
from tuning.validation import validate_stream

__all__ = ["SUMMARY_ERRORS", "summarize", "validate_datasets"]

SUMMARY_ERRORS = 20  # errors kept in the orchestration and report.json; the full list is a blob
KIND_ORDER = {"training": 0, "validation": 1, "eval": 2}


def validate_datasets(clients: Clients, request: ValidateInput) -> ValidationResult:
    store = clients.store
    summaries = []
    for dataset in sorted(request.datasets, key=lambda d: KIND_ORDER[d.kind]):
        with store.open_pinned(dataset) as stream:
            report = validate_stream(
                stream,
                name=dataset.path,
                model=request.model,
                n_epochs=request.n_epochs,
                price_overrides=clients.settings.training_prices,
            )
        document: dict[str, Any] = report.to_dict()
        expected = "preference" if request.method == "dpo" else "chat"
        if report.format not in (None, expected):
            mismatch = {
                "line": None,
                "code": "method_mismatch",
                "message": f"the file holds {report.format} data but the run's method is {request.method}",
            }
            document["errors"] = [mismatch, *document["errors"]]
            document["error_counts"] = {**document["error_counts"], "method_mismatch": 1}
            document["valid"] = False
        blob = store.write_json(f"{request.report_folder}validation-{dataset.kind}.json", document)
        summaries.append(summarize(document, dataset.kind, blob, None))
    return ValidationResult(files=summaries)


def summarize(document: dict[str, Any], kind: DatasetKind, blob: str, chart: str | None) -> ValidationSummary:
    """The validator's counts per code are complete even where its issue lists are capped."""
    error_counts = dict(document["error_counts"])
    return ValidationSummary(
        file=document["file"],
        kind=kind,
        valid=document["valid"],
        format=document.get("format"),
        examples=document["examples"],
        model=document["model"],
        encoding=document["encoding"],
        error_count=sum(error_counts.values()),
        warning_count=sum(document["warning_counts"].values()),
        errors=[LineIssue.model_validate(issue) for issue in document["errors"][:SUMMARY_ERRORS]],
        errors_by_code=error_counts,
        warnings_by_code=document["warning_counts"],
        tokens=document["tokens"],
        estimate=document["estimate"],
        report_blob=blob,
        chart_blob=chart,
    )
