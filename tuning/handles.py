"""Each activity's one handle: its name, its input model and its output model.

The orchestrators call `run.call(SUBMIT_JOB, SubmitInput(...))` and get a `JobSubmitted` back,
the way Temporal's `execute_activity(classify_ticket, ticket)` reads; `activities/` registers the
step that implements each handle under the handle's name. A name therefore lives in one place,
and a payload field renamed on either side fails validation instead of reading as None.
This module imports no Azure SDK: orchestrators depend on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from tuning.payloads import (
    AccountRef,
    Answered,
    AskInput,
    Checkpoints,
    DeployInput,
    DeploymentCount,
    DeploymentRef,
    DeploymentStatus,
    EvalPrepare,
    FileRef,
    FileStatus,
    Graded,
    GradeInput,
    JobControl,
    JobId,
    JobStatus,
    JobSubmitted,
    Judged,
    JudgeInput,
    Payload,
    PreparedEvalSet,
    ReleaseInput,
    ReleaseResult,
    ResolveInput,
    RunPlan,
    SmokeInput,
    SmokeResult,
    SubmitInput,
    UploadedFile,
    UploadInput,
    ValidateInput,
    ValidationResult,
)
from tuning.reports.model import ReportArtifacts, ReportInput

__all__ = [
    "ALL",
    "ASK_MODEL",
    "CONTROL_JOB",
    "COUNT_DEPLOYMENTS",
    "DELETE_DEPLOYMENT",
    "DEPLOY_MODEL",
    "GET_DEPLOYMENT",
    "GET_FILE_STATUS",
    "GET_JOB_STATUS",
    "GRADE_EVALUATION",
    "JUDGE_ANSWER",
    "LIST_CHECKPOINTS",
    "PREPARE_EVAL_SET",
    "RELEASE_RESOURCES",
    "RESOLVE_RUN",
    "SMOKE_TEST",
    "SUBMIT_JOB",
    "UPLOAD_FILE",
    "VALIDATE_DATASETS",
    "WRITE_REPORT",
    "Activity",
]

In = TypeVar("In", bound=Payload)
Out = TypeVar("Out", bound=Payload)


@dataclass(frozen=True)
class Activity(Generic[In, Out]):
    """An activity as both sides of the boundary know it."""

    name: str
    input: type[In]
    output: type[Out]


RESOLVE_RUN = Activity("resolve_run", ResolveInput, RunPlan)
VALIDATE_DATASETS = Activity("validate_datasets", ValidateInput, ValidationResult)
UPLOAD_FILE = Activity("upload_file", UploadInput, UploadedFile)
GET_FILE_STATUS = Activity("get_file_status", FileRef, FileStatus)
SUBMIT_JOB = Activity("submit_job", SubmitInput, JobSubmitted)
GET_JOB_STATUS = Activity("get_job_status", JobId, JobStatus)
CONTROL_JOB = Activity("control_job", JobControl, JobStatus)
LIST_CHECKPOINTS = Activity("list_checkpoints", JobId, Checkpoints)
DEPLOY_MODEL = Activity("deploy_model", DeployInput, DeploymentStatus)
GET_DEPLOYMENT = Activity("get_deployment", DeploymentRef, DeploymentStatus)
DELETE_DEPLOYMENT = Activity("delete_deployment", DeploymentRef, DeploymentStatus)
COUNT_DEPLOYMENTS = Activity("count_deployments", AccountRef, DeploymentCount)
RELEASE_RESOURCES = Activity("release_resources", ReleaseInput, ReleaseResult)
SMOKE_TEST = Activity("smoke_test", SmokeInput, SmokeResult)
WRITE_REPORT = Activity("write_report", ReportInput, ReportArtifacts)
PREPARE_EVAL_SET = Activity("prepare_eval_set", EvalPrepare, PreparedEvalSet)
ASK_MODEL = Activity("ask_model", AskInput, Answered)
JUDGE_ANSWER = Activity("judge_answer", JudgeInput, Judged)
GRADE_EVALUATION = Activity("grade_evaluation", GradeInput, Graded)

ALL: tuple[Activity[Payload, Payload], ...] = (
    RESOLVE_RUN,
    VALIDATE_DATASETS,
    UPLOAD_FILE,
    GET_FILE_STATUS,
    SUBMIT_JOB,
    GET_JOB_STATUS,
    CONTROL_JOB,
    LIST_CHECKPOINTS,
    DEPLOY_MODEL,
    GET_DEPLOYMENT,
    DELETE_DEPLOYMENT,
    COUNT_DEPLOYMENTS,
    RELEASE_RESOURCES,
    SMOKE_TEST,
    WRITE_REPORT,
    PREPARE_EVAL_SET,
    ASK_MODEL,
    JUDGE_ANSWER,
    GRADE_EVALUATION,
)  # type: ignore[assignment]
