"""Validating a run's datasets: the pinned versions, through the validator, into report blobs.

All files of a run are validated in one step, training first, because the validator checks the
validation and eval files against the training file (leakage). Each file's full report and its
length histogram are blobs beside the run report; the orchestration keeps only a summary.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from tuning.clients import Clients
from tuning.failures import PipelineError
from tuning.payloads import DatasetKind, LineIssue, ValidateInput, ValidationResult, ValidationSummary
from tuning.validation import DatasetSource, render_length_histogram, validate_files

__all__ = ["SUMMARY_ERRORS", "summarize", "validate_datasets"]

SUMMARY_ERRORS = 20  # errors kept in the orchestration and report.json; the full list is a blob


def validate_datasets(clients: Clients, request: ValidateInput) -> ValidationResult:
    store = clients.store
    sources = [DatasetSource(d.kind, d.path, partial(store.open_pinned, d)) for d in request.datasets]
    try:
        reports = validate_files(
            sources,
            model=request.model,
            method=request.method,
            training_type=request.training_type,
            n_epochs=request.n_epochs,
            data_scan=clients.settings.data_scan,
            price_overrides=clients.settings.training_prices,
        )
    except ValueError as error:  # a model/method/training type the catalog does not offer
        raise PipelineError("unsupported_combination", str(error)) from None
    summaries = []
    for dataset, report in zip(request.datasets, reports, strict=True):
        folder = request.report_folder
        document: dict[str, Any] = report.to_dict()
        blob = store.write_json(f"{folder}validation-{dataset.kind}.json", document)
        chart = store.write_text(
            f"{folder}lengths-{dataset.kind}.svg", render_length_histogram(report), "image/svg+xml"
        )
        summaries.append(summarize(document, dataset.kind, blob, chart))
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
        overlap=document.get("overlap"),
    )
