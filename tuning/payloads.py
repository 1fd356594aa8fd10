"""The payloads that cross the orchestration boundary: orchestration input, activity inputs
and outputs. Small JSON objects only (ids, counts, short strings): dataset contents never pass
through the orchestration history.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from tuning.errors import Failure
from tuning.options import ResolvedOptions


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class RunRequest(Payload):
    """The orchestration's input, from the blob trigger or `POST /api/runs`."""

    run: str
    source: Literal["blob", "http"]
    training: str | None = None
    validation: str | None = None
    options: dict[str, Any] | None = None
    settle_seconds: float = 0.0


class DatasetBlob(Payload):
    kind: Literal["training", "validation"]
    path: str
    sha256: str
    size: int


class RunPlan(Payload):
    run: str
    attempt: str
    report_folder: str
    datasets: list[DatasetBlob]
    options: ResolvedOptions
    price_per_1m_tokens: float | None = None

    def dataset(self, kind: str) -> DatasetBlob | None:
        return next((d for d in self.datasets if d.kind == kind), None)


class ResolveInput(Payload):
    request: RunRequest
    attempt: str


class ValidateInput(Payload):
    dataset: DatasetBlob
    model: str
    method: str
    n_epochs: int | None
    report_folder: str


class ValidationSummary(Payload):
    """What the orchestration and report.json keep; the full report is a blob beside it."""

    file: str
    kind: str
    valid: bool
    format: str | None
    examples: int
    model: str
    encoding: str
    error_count: int
    warning_count: int
    errors: list[dict[str, Any]]
    errors_by_code: dict[str, int]
    warnings_by_code: dict[str, int]
    tokens: dict[str, Any]
    estimate: dict[str, Any]
    report_blob: str


class UploadInput(Payload):
    dataset: DatasetBlob


class UploadedFile(Payload):
    kind: str
    id: str
    filename: str
    status: str
    reused: bool


class FileStatus(Payload):
    id: str
    status: str
    error: str | None = None


class SubmitInput(Payload):
    run_key: str
    training_file: str
    validation_file: str | None
    options: ResolvedOptions


class JobRef(Payload):
    id: str
    reused: bool


class Progress(Payload):
    step: int | None = None
    train_loss: float | None = None
    valid_loss: float | None = None


class JobStatus(Payload):
    id: str
    status: str
    model: str | None = None
    fine_tuned_model: str | None = None
    trained_tokens: int | None = None
    result_files: list[str] = []
    error: Failure | None = None
    progress: Progress = Progress()

    @property
    def finished(self) -> bool:
        return self.status in ("succeeded", "failed", "cancelled")


class CheckpointChoice(Payload):
    model: str
    step: int | None
    valid_loss: float | None
    train_loss: float | None
    reason: str


class DeployInput(Payload):
    name: str
    model: str
    sku: str
    capacity: int


class DeploymentStatus(Payload):
    name: str
    model: str | None
    provisioning_state: str
    sku: str | None = None
    capacity: int | None = None


class SmokeInput(Payload):
    deployment: str
    messages: list[dict[str, str]]


class SmokeResult(Payload):
    ok: bool
    retryable: bool = False
    code: str | None = None
    answer: str | None = None
    latency_ms: float | None = None
    usage: dict[str, int] | None = None


class ReportInput(Payload):
    report_folder: str
    report: dict[str, Any]
    result_file: str | None = None


class ActivityOutcome(Payload):
    """How an activity answers when its work can fail permanently: a result or a Failure."""

    result: dict[str, Any] | None = None
    failure: Failure | None = None
