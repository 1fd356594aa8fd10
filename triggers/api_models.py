"""The HTTP API's bodies and answers as models: what the routes check requests against, and what
the OpenAPI document (`GET /api/openapi.json`) publishes, from one source."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator

from tuning.failures import PipelineError
from tuning.paths import RUN_NAME, confined_blob_path

__all__ = [
    "Accepted",
    "Approval",
    "Body",
    "CancelRun",
    "JobControlRequest",
    "Links",
    "ProblemDetails",
    "RollbackRequest",
    "RunList",
    "RunView",
    "StartRun",
    "ValidateBlob",
]

RUN_NAME_PATTERN = f"^{RUN_NAME.pattern}$"
BlobPath = Annotated[
    str, Field(min_length=1, max_length=1024, description="a blob path inside the dataset container")
]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StartRun(Body):
    """Start an attempt. Without `training`, the run folder `incoming/<run>/` supplies the files."""

    run: str | None = Field(default=None, pattern=RUN_NAME_PATTERN)
    training: BlobPath | None = None
    validation: BlobPath | None = None
    options: dict[str, Any] | None = Field(default=None, description="the same options as run.json")

    @field_validator("training", "validation")
    @classmethod
    def _confined(cls, path: str | None) -> str | None:
        if path is not None:
            _confined_path(path)
            if not path.endswith(".jsonl"):
                raise ValueError("a dataset must be a .jsonl blob")
        return path


class CancelRun(Body):
    reason: str | None = Field(default=None, max_length=500)


class Approval(Body):
    approved: StrictBool
    by: str | None = Field(default=None, max_length=200)
    comment: str | None = Field(default=None, max_length=1000)


class JobControlRequest(Body):
    by: str | None = Field(default=None, max_length=200)


class RollbackRequest(Body):
    by: str | None = Field(default=None, max_length=200)


class ValidateBlob(Body):
    blob: BlobPath
    model: str | None = Field(default=None, min_length=1, max_length=100)

    @field_validator("blob")
    @classmethod
    def _confined(cls, path: str) -> str:
        return _confined_path(path)


def _confined_path(path: str) -> str:
    """The container rule as a schema error, so the answer names the field."""
    try:
        return confined_blob_path(path)
    except PipelineError as error:
        raise ValueError(error.message) from None


class Links(BaseModel):
    self: str
    cancel: str
    approve: str
    pause: str
    resume: str
    rollback: str


class RunView(BaseModel):
    """A run as `GET /api/runs/{run}` shows it."""

    id: str
    run: str
    runtime_status: str | None
    result: str | None = Field(description="succeeded, failed, cancelled or rejected once ended")
    stage: str | None
    attempt: str | None
    job: dict[str, Any] | None
    progress: dict[str, Any] | None
    cancel: str | None = None
    evaluation: dict[str, int] | None = Field(default=None, description="quality gate progress: done, total")
    updated: str | None
    created: str | None
    last_updated: str | None
    errors: list[dict[str, Any]]
    report: dict[str, str] | None
    links: Links
    polls: int | None = None
    last_error: str | None = None
    late_files: list[str] = Field(default=[], description="run-folder files this attempt does not use")


class RunList(BaseModel):
    runs: list[RunView]


class Accepted(BaseModel):
    id: str
    run: str
    status: str
    links: Links


class ProblemDetails(BaseModel):
    """RFC 7807 (application/problem+json)."""

    type: str
    title: str
    status: int
    detail: str
    code: str | None = None
