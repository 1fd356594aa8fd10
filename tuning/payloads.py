"""The payloads that cross the orchestration boundary: the orchestration's input, each activity's
input and output, and the outcome envelope activities answer with.

Small JSON objects only (ids, counts, short strings): dataset contents never pass through the
orchestration history. Every model forbids unknown fields, so a field renamed on one side of the
boundary fails loudly on the other instead of reading as None. Nothing here imports an Azure SDK:
the orchestrators import this module and must stay free of I/O.
"""

from __future__ import annotations

import re
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tuning.evaluation import EvaluationOptions, EvaluationReport, ModelInfo, TokenUsage
from tuning.failures import PipelineError
from tuning.options import ResolvedOptions
from tuning.paths import check_run_name

__all__ = [
    "AccountRef",
    "ActivityOutcome",
    "Answered",
    "ApprovalEvent",
    "AskInput",
    "CancelEvent",
    "Checkpoint",
    "Checkpoints",
    "DatasetKind",
    "DeployInput",
    "DeploymentCount",
    "DeploymentRef",
    "DeploymentStatus",
    "EvalPrepare",
    "Failure",
    "FileRef",
    "FileStatus",
    "GradeInput",
    "Graded",
    "JobControl",
    "JobControlEvent",
    "JobId",
    "JobStatus",
    "JobSubmitted",
    "JudgeInput",
    "Judged",
    "LineIssue",
    "Payload",
    "PinnedBlob",
    "PreparedEvalSet",
    "Progress",
    "ReleaseInput",
    "ReleaseResult",
    "ResolveInput",
    "RunPlan",
    "RunRequest",
    "SmokeInput",
    "SmokeResult",
    "SubmitInput",
    "UploadInput",
    "UploadedFile",
    "ValidateInput",
    "ValidationResult",
    "ValidationSummary",
    "event_of",
]

DatasetKind = Literal["training", "validation", "eval"]
Out = TypeVar("Out", bound="Payload")

# Job states of both API styles (Azure's FineTuningState and OpenAI's fine-tuning job status).
JOB_FINISHED = frozenset({"succeeded", "failed", "cancelled"})
JOB_PAUSED = frozenset({"pausing", "paused", "resuming"})


class Payload(BaseModel):
    """A boundary payload: JSON in, JSON out, unknown fields refused.

    Payloads cross the Durable boundary as plain JSON objects and are validated into their model
    on the far side (tuning.handles). They are deliberately not sent as the worker's custom-object
    envelopes: under AZURE_FUNCTIONS_DURABLE_STRICT_TYPING, azure-functions-durable 1.7.0 sets
    `expected_type` on a retrying activity task but not on its attempts, so an envelope answered
    by any `call_activity_with_retry` cannot be decoded. Plain JSON with `expected_type=dict` works
    in strict mode and loses nothing: the handle's model checks every field.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class Failure(Payload):
    """A permanent failure as it travels: our code, a message for people, Azure's own code if any."""

    code: str
    message: str
    service_code: str | None = None

    @classmethod
    def of(cls, error: PipelineError) -> Failure:
        return cls(code=error.code, message=error.message, service_code=error.service_code)

    def error(self) -> PipelineError:
        return PipelineError(self.code, self.message, service_code=self.service_code)


class ActivityOutcome(Payload):
    """How every activity answers: a result, or a permanent Failure that must not be retried."""

    result: dict[str, Any] | None = None
    failure: Failure | None = None

    def unwrap(self, output: type[Out]) -> Out:
        """The result as the activity's output model; a Failure raises as the PipelineError it was."""
        if self.failure is not None:
            raise self.failure.error()
        return output.model_validate(self.result)


# -- the run ---------------------------------------------------------------------------------


class RunRequest(Payload):
    """The orchestration's input, from the blob trigger or `POST /api/runs`.

    `seen` holds the ETag of each run-folder blob the starter saw, so a redelivered event for
    one of them is recognised as a duplicate by its version, never by comparing clocks.
    """

    run: str
    source: Literal["blob", "http"]
    training: str | None = None
    validation: str | None = None
    options: dict[str, Any] | None = None
    settle_seconds: float = Field(default=0.0, ge=0)
    seen: dict[str, str] = {}

    @field_validator("run")
    @classmethod
    def _run_name(cls, run: str) -> str:
        return check_run_name(run)


class PinnedBlob(Payload):
    """A dataset blob as the run pinned it: later reads must find exactly this version."""

    kind: DatasetKind
    path: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=0)
    etag: str


class RunPlan(Payload):
    run: str
    attempt: str
    report_folder: str
    datasets: list[PinnedBlob]
    options: ResolvedOptions
    options_etag: str | None = None

    def dataset(self, kind: DatasetKind) -> PinnedBlob | None:
        return next((d for d in self.datasets if d.kind == kind), None)

    def pinned(self) -> dict[str, str]:
        """Path -> ETag of everything the attempt read, run.json included."""
        versions = {d.path: d.etag for d in self.datasets}
        if self.options_etag:
            versions[f"incoming/{self.run}/run.json"] = self.options_etag
        return versions


class ResolveInput(Payload):
    request: RunRequest
    attempt: str


# -- validation ------------------------------------------------------------------------------


class ValidateInput(Payload):
    datasets: list[PinnedBlob]
    model: str
    method: str
    training_type: str
    n_epochs: int | None
    report_folder: str


class LineIssue(Payload):
    """One finding of the validator as the run keeps it (the full list stays in the blob)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    line: int | None = None
    code: str
    message: str


class ValidationSummary(Payload):
    """What the orchestration and report.json keep of one file; the full report is a blob beside it."""

    file: str
    kind: DatasetKind
    valid: bool
    format: str | None
    examples: int
    model: str
    encoding: str
    error_count: int
    warning_count: int
    errors: list[LineIssue]
    errors_by_code: dict[str, int]
    warnings_by_code: dict[str, int]
    tokens: dict[str, Any]
    estimate: dict[str, Any]
    report_blob: str
    chart_blob: str | None = None
    overlap: dict[str, float | None] | None = Field(
        default=None, description="examples of this file also in the training file, and their rate"
    )

    @property
    def cost_usd(self) -> float | None:
        cost = self.estimate.get("cost_usd")
        return float(cost) if isinstance(cost, (int, float)) else None


class ValidationResult(Payload):
    files: list[ValidationSummary]

    def of(self, kind: DatasetKind) -> ValidationSummary | None:
        return next((f for f in self.files if f.kind == kind), None)


# -- files and jobs --------------------------------------------------------------------------


class UploadInput(Payload):
    dataset: PinnedBlob


class UploadedFile(Payload):
    kind: DatasetKind
    id: str
    filename: str
    status: str
    reused: bool


class FileRef(Payload):
    file_id: str


class FileStatus(Payload):
    id: str
    status: str
    error: str | None = None


class SubmitInput(Payload):
    run_key: str
    training_file: str
    validation_file: str | None
    options: ResolvedOptions


class JobSubmitted(Payload):
    id: str
    reused: bool


class JobId(Payload):
    job_id: str


class JobControl(Payload):
    job_id: str
    action: Literal["cancel", "pause", "resume"]


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
        return self.status in JOB_FINISHED

    @property
    def paused(self) -> bool:
        return self.status in JOB_PAUSED


class Checkpoint(Payload):
    model: str
    step: int
    valid_loss: float | None = None
    train_loss: float | None = None


class Checkpoints(Payload):
    items: list[Checkpoint]


# -- deployments and chat --------------------------------------------------------------------

# pydantic patterns run on Rust's regex engine, where `$` is the end of the text (no newline
# exception as in Python's `re`): these anchors are full-string matches.
DEPLOYMENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,63}$")


class DeploymentRef(Payload):
    name: str = Field(pattern=DEPLOYMENT_NAME.pattern)


class DeployInput(Payload):
    """Create or update a deployment this service manages; `run_key` and `role` become its tags."""

    name: str = Field(pattern=DEPLOYMENT_NAME.pattern)
    model: str
    sku: str
    capacity: int = Field(ge=1)
    run_key: str
    role: Literal["production", "evaluation"]
    replaces: str | None = None


class ReleaseInput(Payload):
    """Stop what a run attempt started: its unfinished jobs, its evaluation deployments, and (unless
    the run succeeded) the production deployment it created or changed."""

    run_key: str
    keep_production: bool


class ReleaseResult(Payload):
    cancelled_jobs: list[str] = []
    deleted_deployments: list[str] = []
    restored_deployments: dict[str, str] = {}


class DeploymentStatus(Payload):
    """A deployment as ARM shows it; `exists` False when there is none of that name."""

    name: str
    exists: bool
    model: str | None = None
    model_version: str | None = None
    provisioning_state: str | None = None
    sku: str | None = None
    capacity: int | None = None
    managed: bool = False
    run_key: str | None = None
    role: str | None = None
    replaces: str | None = None


class AccountRef(Payload):
    """The configured Azure OpenAI account (the activity knows which from the settings)."""


class DeploymentCount(Payload):
    total: int
    fine_tuned: int
    fine_tuned_limit: int


class SmokeInput(Payload):
    deployment: str
    messages: list[dict[str, str]]


class SmokeResult(Payload):
    """One chat answer, or `ok` False while the deployment is not serving yet (`code` says why)."""

    ok: bool
    code: str | None = None
    answer: str | None = None
    latency_ms: float | None = None
    usage: dict[str, int] | None = None


# -- the quality gate --------------------------------------------------------------------------


class EvalPrepare(Payload):
    """Read the pinned eval set once and keep the selected examples as a blob of the attempt."""

    dataset: PinnedBlob
    max_examples: int = Field(ge=1)
    folder: str


class PreparedEvalSet(Payload):
    blob: str
    examples: int
    lines: int
    evaluable: int
    skipped: dict[str, int]
    selection: str


class AskInput(Payload):
    """One example asked of one model; the answer is kept as a blob, never in the history."""

    label: str
    deployment: str
    index: int = Field(ge=0)
    examples_blob: str
    folder: str


class Answered(Payload):
    """`ok` False when the model could not answer yet (throttled, not serving): ask again after
    `retry_after` seconds. `reused` when an earlier run of this step already asked and kept the
    answer; `lost` when it asked and died before keeping it (never asked twice)."""

    label: str
    index: int
    ok: bool
    reused: bool = False
    lost: bool = False
    retry_after: float | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0


class JudgeInput(Payload):
    grader: str
    deployment: str
    rubric: str | None
    label: str
    index: int = Field(ge=0)
    examples_blob: str
    folder: str


class Judged(Payload):
    grader: str
    label: str
    index: int
    ok: bool
    reused: bool = False
    lost: bool = False
    retry_after: float | None = None
    score: float | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0


class GradeInput(Payload):
    options: EvaluationOptions
    eval_set: PreparedEvalSet
    source: str
    is_validation_file: bool
    models: list[ModelInfo]
    usage: list[TokenUsage]
    folder: str


class Graded(Payload):
    """The evaluation as report.json keeps it, where its blobs are, and how many examples were left
    out because an answer or a judgement was lost to a crash."""

    report: EvaluationReport
    artifacts: dict[str, str]
    left_out: int = 0


# -- external events: what the API raises, as the orchestration reads it ---------------------


class CancelEvent(Payload):
    reason: str | None = Field(default=None, max_length=500)


class ApprovalEvent(Payload):
    approved: bool
    by: str | None = Field(default=None, max_length=200)
    comment: str | None = Field(default=None, max_length=1000)


class JobControlEvent(Payload):
    action: Literal["pause", "resume"]
    by: str | None = Field(default=None, max_length=200)


E = TypeVar("E", bound=Payload)


def event_of(model: type[E], value: Any) -> E | None:
    """An external event's payload as its model; None for one that does not fit (events can be
    raised by hand through the Durable management API, so the orchestration checks them too)."""
    try:
        return model.model_validate(value)
    except ValueError:
        return None
