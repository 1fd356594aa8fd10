"""The work behind each activity, as plain functions of (clients, payload) -> payload.

Activities only parse their input and call one of these, so every step can be run and tested
without the Functions runtime, against Azurite and the emulator.
"""

from __future__ import annotations

from typing import Any

from tuning.catalog import resolve_model
from tuning.clients import Clients
from tuning.deployments import DeploymentTarget
from tuning.deployments import smoke_test as chat_smoke_test
from tuning.errors import PermanentError
from tuning.fine_tuning import (
    best_checkpoint,
    file_status,
    job_status,
    result_csv,
    submit_job,
    upload_dataset,
)
from tuning.fine_tuning import (
    cancel_job as cancel_fine_tune,
)
from tuning.options import RunOptions, merge_options, parse_options
from tuning.paths import check_run_name, confined_blob_path, report_folder, run_folder
from tuning.payloads import (
    CheckpointChoice,
    DatasetBlob,
    DeployInput,
    DeploymentStatus,
    FileStatus,
    JobRef,
    JobStatus,
    ReportInput,
    ResolveInput,
    RunPlan,
    SmokeInput,
    SmokeResult,
    SubmitInput,
    UploadedFile,
    UploadInput,
    ValidateInput,
    ValidationSummary,
)
from tuning.reports import parse_step_metrics, render_loss_svg, render_markdown
from tuning.storage import BlobMissingError
from tuning.validation import validate_stream

SUMMARY_ERRORS = 20  # errors kept in the orchestration and report.json; the full list is a blob


def resolve_run(clients: Clients, request: ResolveInput) -> RunPlan:
    """Find the run's files, read run.json, merge options over settings, hash the datasets."""
    run_request = request.request
    run = check_run_name(run_request.run)
    store = clients.store
    found = store.run_files(run) if run_request.source == "blob" else {}
    training = run_request.training or found.get("training")
    if not training:
        raise PermanentError(
            "missing_training_file",
            f"no training file: expected {run_folder(run)}training.jsonl in container {store.name!r}",
        )
    validation = run_request.validation or found.get("validation")
    layers: list[RunOptions] = []
    if "options" in found:
        layers.append(parse_options(store.read_json(found["options"]), found["options"]))
    layers.append(parse_options(run_request.options, "request options"))
    options = merge_options(clients.settings, run, *layers)
    spec = resolve_model(options.base_model, clients.settings.training_prices)
    if options.method not in spec.methods:
        raise PermanentError(
            "unsupported_method",
            f"{spec.name} does not support {options.method} fine-tuning "
            f"(supported: {', '.join(spec.methods)})",
        )
    datasets = []
    for kind, path in (("training", training), ("validation", validation)):
        if path:
            try:
                digest = store.digest(confined_blob_path(path))
            except BlobMissingError as missing:
                raise PermanentError("missing_file", str(missing)) from None
            datasets.append(DatasetBlob(kind=kind, path=path, sha256=digest.sha256, size=digest.size))
    return RunPlan(
        run=run,
        attempt=request.attempt,
        report_folder=report_folder(run, request.attempt),
        datasets=datasets,
        options=options.model_copy(update={"base_model": spec.name}),
        price_per_1m_tokens=spec.training_price_per_1m_tokens,
    )


def validate_dataset(clients: Clients, request: ValidateInput) -> ValidationSummary:
    """Stream the blob through the validator and keep its full report beside the run report."""
    dataset = request.dataset
    with clients.store.open_stream(dataset.path) as stream:
        report = validate_stream(
            stream,
            name=dataset.path,
            model=request.model,
            n_epochs=request.n_epochs,
            price_overrides=clients.settings.training_prices,
        )
    document = report.to_dict()
    expected = "preference" if request.method == "dpo" else "chat"
    if report.format not in (None, expected):
        problem = {
            "line": None,
            "code": "method_mismatch",
            "message": f"the file holds {report.format} data but the run's method is {request.method}",
        }
        document["errors"] = [problem, *document["errors"]]
        document["valid"] = False
    blob = clients.store.write_json(f"{request.report_folder}validation-{dataset.kind}.json", document)
    return summarize(document, dataset.kind, blob)


def summarize(document: dict[str, Any], kind: str, blob: str) -> ValidationSummary:
    """The validator's counts per code are complete even where its issue lists are capped."""
    error_counts = dict(document["error_counts"])
    for issue in document["errors"]:  # issues added here (method_mismatch) are not in the counts yet
        if issue["code"] not in error_counts:
            error_counts[issue["code"]] = 1
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
        errors=document["errors"][:SUMMARY_ERRORS],
        errors_by_code=error_counts,
        warnings_by_code=document["warning_counts"],
        tokens=document["tokens"],
        estimate=document["estimate"],
        report_blob=blob,
    )


def upload_file(clients: Clients, request: UploadInput) -> UploadedFile:
    return upload_dataset(clients.openai, request.dataset, clients.store.open_stream)


def get_file_status(clients: Clients, file_id: str) -> FileStatus:
    return file_status(clients.openai, file_id)


def submit_fine_tune(clients: Clients, request: SubmitInput) -> JobRef:
    return submit_job(
        clients.openai, request.run_key, request.training_file, request.validation_file, request.options
    )


def get_job_status(clients: Clients, job_id: str) -> JobStatus:
    return job_status(clients.openai, job_id)


def cancel_job(clients: Clients, job_id: str) -> JobStatus:
    return cancel_fine_tune(clients.openai, job_id)


def choose_checkpoint(clients: Clients, job_id: str) -> CheckpointChoice | None:
    return best_checkpoint(clients.openai, job_id)


def _deployment_target(clients: Clients) -> DeploymentTarget:
    _, resource_group, account = clients.settings.require_arm_target()
    return DeploymentTarget(
        clients.management,
        resource_group,
        account,
        allow_http=clients.settings.arm_endpoint.startswith("http://"),
    )


def deploy_model(clients: Clients, request: DeployInput) -> DeploymentStatus:
    return _deployment_target(clients).start(request)


def get_deployment_status(clients: Clients, name: str) -> DeploymentStatus:
    status = _deployment_target(clients).status(name)
    return status or DeploymentStatus(name=name, model=None, provisioning_state="NotFound")


def smoke_test(clients: Clients, request: SmokeInput) -> SmokeResult:
    return chat_smoke_test(clients.openai, request.deployment, request.messages)


def write_report(clients: Clients, request: ReportInput) -> dict[str, Any]:
    """report.json, report.md and loss.svg; written for every run, whatever its end."""
    report = dict(request.report)
    steps = []
    if request.result_file:
        steps = parse_step_metrics(result_csv(clients.openai, request.result_file))
        report["metrics"] = metrics_summary(steps)
    folder = request.report_folder
    artifacts = {name: f"{folder}{name}" for name in ("report.json", "report.md", "loss.svg")}
    for kind in ("training", "validation"):
        blob = ((report.get("validation") or {}).get(kind) or {}).get("report_blob")
        if blob:
            artifacts[f"validation-{kind}.json"] = blob
    report["artifacts"] = artifacts
    store = clients.store
    store.write_text(
        artifacts["loss.svg"],
        render_loss_svg(steps, title=f"Loss per step: {report.get('run')}"),
        "image/svg+xml",
    )
    store.write_text(artifacts["report.md"], render_markdown(report), "text/markdown; charset=utf-8")
    store.write_json(artifacts["report.json"], report)
    return {"artifacts": artifacts, "container": store.name}


def metrics_summary(steps) -> dict[str, Any]:
    if not steps:
        return {"steps": 0, "final": None}
    last = steps[-1]
    last_valid = next((s for s in reversed(steps) if s.valid_loss is not None), None)
    return {
        "steps": len(steps),
        "final": {
            "step": last.step,
            "train_loss": last.train_loss,
            "train_mean_token_accuracy": last.train_mean_token_accuracy,
            "valid_loss": last_valid.valid_loss if last_valid else None,
            "valid_mean_token_accuracy": last_valid.valid_mean_token_accuracy if last_valid else None,
        },
    }
