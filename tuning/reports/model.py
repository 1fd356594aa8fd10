"""`RunReport`: what report.json holds, as one typed model.

The run state owns one RunReport and updates it stage by stage; `write_report` stores it as
report.json and renders report.md from it, so the renderers never guess at missing keys. Its JSON
Schema is published as `report.schema.json` beside the README (`python -m tuning schema`), for
users who parse report.json; a test keeps the two in step.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tuning.evaluation import EvaluationReport
from tuning.options import ResolvedOptions
from tuning.payloads import (
    DatasetKind,
    Failure,
    Payload,
    PinnedBlob,
    Progress,
    UploadedFile,
    ValidationSummary,
)

__all__ = [
    "ApprovalRecord",
    "DeploymentRecord",
    "ErrorRecord",
    "JobRecord",
    "LateFile",
    "MetricsSummary",
    "ModelChoice",
    "ReportArtifacts",
    "ReportInput",
    "RunReport",
    "SmokeRecord",
    "StageRecord",
    "report_json_schema",
]

StageStatus = Literal["running", "ok", "failed", "cancelled", "rejected"]
ReportStatus = Literal["running", "succeeded", "failed", "cancelled", "rejected"]


class Record(BaseModel):
    """A part of the report: unknown fields refused, mutable while the run goes on."""

    model_config = ConfigDict(extra="forbid")


class StageRecord(Record):
    name: str
    status: StageStatus
    started: str
    finished: str | None = None
    seconds: float | None = None


class ErrorRecord(Record):
    stage: str
    code: str
    message: str
    service_code: str | None = None


class ApprovalRecord(Record):
    gate: str
    approved: bool
    by: str | None = None
    comment: str | None = None
    at: str


class JobControlRecord(Record):
    """A pause or resume asked through the API, and what the job did."""

    action: Literal["pause", "resume", "cancel"]
    at: str
    status: str | None = None
    by: str | None = None


class JobRecord(Record):
    id: str
    reused: bool = False
    status: str | None = None
    model: str | None = None
    fine_tuned_model: str | None = None
    trained_tokens: int | None = None
    error: Failure | None = None
    progress: Progress | None = None
    controls: list[JobControlRecord] = []


class ModelChoice(Record):
    strategy: Literal["final", "best_checkpoint"]
    model: str
    step: int | None = None
    valid_loss: float | None = None
    train_loss: float | None = None
    reason: str


class DeploymentRecord(Record):
    """The production deployment: what it serves now and, when it replaced a model, which one."""

    name: str
    model: str
    sku: str
    capacity: int
    provisioning_state: str | None = None
    created: bool = True
    replaced_model: str | None = None
    removed: bool = False
    restored_model: str | None = None


class SmokeRecord(Record):
    messages: list[dict[str, str]]
    answer: str | None
    latency_ms: float | None
    usage: dict[str, int] | None
    attempts: int


class FinalMetrics(Record):
    step: int
    train_loss: float | None = None
    train_mean_token_accuracy: float | None = None
    valid_loss: float | None = None
    valid_mean_token_accuracy: float | None = None
    full_valid_loss: float | None = None
    full_valid_mean_token_accuracy: float | None = None


class MetricsSummary(Record):
    steps: int
    final: FinalMetrics | None = None


class LateFile(Record):
    """A run-folder file that changed or appeared after the attempt pinned its inputs."""

    path: str
    etag: str
    change: Literal["changed", "new"]


class RunReport(Record):
    """report.json. Parts a run did not reach stay null or empty."""

    schema_version: Literal[1] = 1
    run: str
    instance_id: str
    attempt: str
    source: Literal["blob", "http"]
    status: ReportStatus = "running"
    started: str
    finished: str | None = None
    report_folder: str
    stages: list[StageRecord] = []
    errors: list[ErrorRecord] = []
    warnings: list[str] = []
    options: ResolvedOptions | None = None
    datasets: list[PinnedBlob] = []
    inputs: dict[str, str] = Field(
        default={}, description="path -> ETag of every run-folder blob the attempt read"
    )
    validation: dict[DatasetKind, ValidationSummary] = {}
    estimate: dict[str, Any] | None = None
    approvals: list[ApprovalRecord] = []
    files: dict[DatasetKind, UploadedFile] = {}
    job: JobRecord | None = None
    metrics: MetricsSummary | None = None
    model_choice: ModelChoice | None = None
    evaluation: EvaluationReport | None = None
    deployment: DeploymentRecord | None = None
    smoke_test: SmokeRecord | None = None
    late_files: list[LateFile] = []
    cleanup: list[str] = Field(default=[], description="what the run removed or cancelled as it ended")
    artifacts: dict[str, str] = {}


class ReportInput(Payload):
    report: RunReport
    result_file: str | None = None


class ReportArtifacts(Payload):
    container: str
    artifacts: dict[str, str]
    late_files: list[LateFile] = Field(default_factory=list)


def report_json_schema() -> dict[str, Any]:
    """The JSON Schema users validate report.json against (published as report.schema.json)."""
    schema = RunReport.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "report.schema.json"
    return schema
