"""The work behind each activity, as plain functions of (clients, input payload) -> output payload.

`STEPS` pairs every handle of tuning.handles with the function that implements it; activities/
registers them, so a step runs the same under the Functions host, the dev host and the tests.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tuning import handles
from tuning.chat import smoke_test as chat_smoke_test
from tuning.clients import Clients
from tuning.failures import PipelineError
from tuning.fine_tuning import (
    control_job,
    file_status,
    job_status,
    list_checkpoints,
    result_csv,
    submit_job,
    upload_dataset,
)
from tuning.options import ResolvedOptions, RunOptions, merge_options, parse_options
from tuning.paths import confined_blob_path, report_folder, run_folder
from tuning.payloads import (
    AccountRef,
    Checkpoints,
    DatasetKind,
    DeployInput,
    DeploymentCount,
    DeploymentRef,
    DeploymentStatus,
    FileRef,
    FileStatus,
    JobControl,
    JobId,
    JobStatus,
    JobSubmitted,
    Payload,
    ResolveInput,
    RunPlan,
    SmokeInput,
    SmokeResult,
    SubmitInput,
    UploadedFile,
    UploadInput,
)
from tuning.quality_gate import ask_model, grade_evaluation, judge_answer, prepare_eval_set
from tuning.release import release_resources
from tuning.reports import metrics_summary, parse_step_metrics, render_loss_svg, render_markdown
from tuning.reports.model import LateFile, ReportArtifacts, ReportInput, RunReport
from tuning.run_validation import validate_datasets
from tuning.storage import DatasetStore

__all__ = ["STEPS", "Step"]

Step = Callable[[Clients, Any], Payload]


def resolve_run(clients: Clients, request: ResolveInput) -> RunPlan:
    """Find the run's files, read run.json, merge options under the operator's limits, pin the datasets."""
    run_request = request.request
    run = run_request.run
    store = clients.store
    found = {f.role: f for f in store.run_files(run)}
    training = run_request.training or (found["training"].path if "training" in found else None)
    if not training:
        raise PipelineError(
            "missing_training_file",
            f"no training file: expected {run_folder(run)}training.jsonl in container {store.name!r}",
        )
    validation = run_request.validation or (found["validation"].path if "validation" in found else None)
    layers: list[RunOptions] = []
    options_etag = None
    if "options" in found:
        data, options_etag = store.read_options(found["options"].path)
        layers.append(parse_options(data, found["options"].path))
    layers.append(parse_options(run_request.options, "request options"))
    options = merge_options(clients.settings, run, *layers, eval_set_present="eval" in found)
    wanted: list[tuple[DatasetKind, str | None]] = [
        ("training", training),
        ("validation", validation),
        ("eval", eval_set_path(store, run, options, validation)),
    ]
    datasets = [store.pin(confined_blob_path(path), kind) for kind, path in wanted if path]
    return RunPlan(
        run=run,
        attempt=request.attempt,
        report_folder=report_folder(run, request.attempt),
        datasets=datasets,
        options=options,
        options_etag=options_etag,
    )


def eval_set_path(
    store: DatasetStore, run: str, options: ResolvedOptions, validation: str | None
) -> str | None:
    """The quality gate's held-out examples: the named file in the run folder, else the validation file
    (which then also steered the checkpoint choice: the report says so)."""
    if options.evaluation is None:
        return None
    named = f"{run_folder(run)}{options.evaluation.dataset}"
    if store.exists(named):
        return named
    if validation is None:
        raise PipelineError(
            "missing_file",
            f"the quality gate needs held-out examples: upload {named}, or a validation file",
        )
    return None


def upload_file(clients: Clients, request: UploadInput) -> UploadedFile:
    return upload_dataset(clients.openai, request.dataset, clients.store.open_pinned)


def get_file_status(clients: Clients, request: FileRef) -> FileStatus:
    return file_status(clients.openai, request.file_id)


def submit(clients: Clients, request: SubmitInput) -> JobSubmitted:
    return submit_job(clients.openai, clients.settings.openai_api_style, request)


def get_job_status(clients: Clients, request: JobId) -> JobStatus:
    return job_status(clients.openai, request.job_id)


def control(clients: Clients, request: JobControl) -> JobStatus:
    return control_job(clients.openai, request.job_id, request.action)


def checkpoints(clients: Clients, request: JobId) -> Checkpoints:
    return list_checkpoints(clients.openai, request.job_id)


def deploy_model(clients: Clients, request: DeployInput) -> DeploymentStatus:
    return clients.deployments.deploy(request)


def get_deployment(clients: Clients, request: DeploymentRef) -> DeploymentStatus:
    return clients.deployments.status(request.name)


def delete_deployment(clients: Clients, request: DeploymentRef) -> DeploymentStatus:
    return clients.deployments.delete(request.name)


def count_deployments(clients: Clients, request: AccountRef) -> DeploymentCount:
    total, fine_tuned = clients.deployments.count()
    return DeploymentCount(
        total=total, fine_tuned=fine_tuned, fine_tuned_limit=clients.settings.max_fine_tuned_deployments
    )


def smoke_test(clients: Clients, request: SmokeInput) -> SmokeResult:
    return chat_smoke_test(clients.openai, request.deployment, request.messages)


def write_report(clients: Clients, request: ReportInput) -> ReportArtifacts:
    """report.json, report.md and loss.svg; written for every run, whatever its end."""
    report = request.report.model_copy(deep=True)
    steps = parse_step_metrics(result_csv(clients.openai, request.result_file)) if request.result_file else []
    if steps:
        report.metrics = metrics_summary(steps)
    store = clients.store
    report.late_files = late_files(clients, report)
    folder = report.report_folder
    artifacts = {
        **report.artifacts,
        **{name: f"{folder}{name}" for name in ("report.json", "report.md", "loss.svg")},
    }
    for summary in report.validation.values():
        artifacts[f"validation-{summary.kind}.json"] = summary.report_blob
        if summary.chart_blob:
            artifacts[f"lengths-{summary.kind}.svg"] = summary.chart_blob
    report.artifacts = artifacts
    store.write_text(
        artifacts["loss.svg"], render_loss_svg(steps, title=f"Loss per step: {report.run}"), "image/svg+xml"
    )
    store.write_text(artifacts["report.md"], render_markdown(report), "text/markdown; charset=utf-8")
    store.write_json(artifacts["report.json"], report.model_dump(mode="json"))
    return ReportArtifacts(container=store.name, artifacts=artifacts, late_files=report.late_files)


def late_files(clients: Clients, report: RunReport) -> list[LateFile]:
    """Run-folder files that are not the versions this attempt used: a file landing mid-run is
    never silently ignored; the report says a new attempt picks it up."""
    used = report.inputs
    if not used:
        return []
    return [
        LateFile(path=f.path, etag=f.etag, change="changed" if f.path in used else "new")
        for f in clients.store.run_files(report.run)
        if used.get(f.path) != f.etag
    ]


STEPS: Mapping[handles.Activity[Any, Any], Step] = {
    handles.RESOLVE_RUN: resolve_run,
    handles.VALIDATE_DATASETS: validate_datasets,
    handles.UPLOAD_FILE: upload_file,
    handles.GET_FILE_STATUS: get_file_status,
    handles.SUBMIT_JOB: submit,
    handles.GET_JOB_STATUS: get_job_status,
    handles.CONTROL_JOB: control,
    handles.LIST_CHECKPOINTS: checkpoints,
    handles.DEPLOY_MODEL: deploy_model,
    handles.GET_DEPLOYMENT: get_deployment,
    handles.DELETE_DEPLOYMENT: delete_deployment,
    handles.COUNT_DEPLOYMENTS: count_deployments,
    handles.RELEASE_RESOURCES: release_resources,
    handles.SMOKE_TEST: smoke_test,
    handles.WRITE_REPORT: write_report,
    handles.PREPARE_EVAL_SET: prepare_eval_set,
    handles.ASK_MODEL: ask_model,
    handles.JUDGE_ANSWER: judge_answer,
    handles.GRADE_EVALUATION: grade_evaluation,
}
