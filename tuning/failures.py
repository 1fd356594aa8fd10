"""One failure vocabulary for the whole pipeline: every code a run, an activity or the HTTP API can
end with, the one exception that carries it, and the one way messages are shortened.

A code is snake_case, stable and documented (the README's failure table is checked against
`CODES` by a test). The message is for people and never holds a secret. When Azure gave its own
error code (`invalidPayload`, `DeploymentModelNotSupported`...), it travels beside ours as
`service_code`, so a person can look it up in Azure's documentation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["CODES", "FailureCode", "PipelineError", "RunStatus", "describe_code", "short"]

RunStatus = Literal["succeeded", "failed", "cancelled", "rejected"]
MESSAGE_LIMIT = 500


@dataclass(frozen=True)
class FailureCode:
    """A code with what the README says of it: where it happens, what it means, what to do."""

    code: str
    stage: str
    meaning: str
    action: str
    status: RunStatus = "failed"


CODES: dict[str, FailureCode] = {
    entry.code: entry
    for entry in (
        FailureCode(
            "invalid_request",
            "api",
            "the HTTP body, query or route is malformed",
            "fix the request as the problem's detail says",
        ),
        FailureCode(
            "body_too_large",
            "api",
            "a JSON body over 1 MB, or an inline dataset over 16 MB",
            "upload the dataset to the container and name the blob",
        ),
        FailureCode(
            "unsupported_media_type",
            "api",
            "POST /api/validate got neither JSON nor JSONL",
            "send application/json or application/jsonl",
        ),
        FailureCode("run_not_found", "api", "no run of that name has started", "check the run name"),
        FailureCode(
            "run_in_progress",
            "api",
            "an attempt of the run is still going",
            "wait for it, or cancel it, before starting another",
        ),
        FailureCode("run_ended", "api", "the run has ended: there is nothing to cancel", "nothing"),
        FailureCode("no_gate", "api", "the run is not waiting at an approval gate", "approve when it waits"),
        FailureCode(
            "not_training",
            "api",
            "pause and resume apply to a run whose job is training",
            "ask while the run's stage is training",
        ),
        FailureCode(
            "nothing_to_roll_back",
            "api",
            "the run did not replace an earlier model on its deployment (or has not ended)",
            "deploy the model you want by hand, or start a run",
        ),
        FailureCode(
            "invalid_run_name",
            "api, resolving",
            "a run name is not 1-63 letters, digits, '_', '-', '.' starting with a letter or digit",
            "rename the run folder",
        ),
        FailureCode(
            "invalid_path",
            "api, resolving",
            "a blob path leaves the container (URL, '..', absolute path, control character)",
            "name a blob inside the configured container",
        ),
        FailureCode(
            "invalid_options",
            "api, resolving",
            "run.json or the request's options fail the schema (unknown key, out of range)",
            "fix the option named in the message",
        ),
        FailureCode(
            "option_not_allowed",
            "api, resolving",
            "an option exceeds what the operator allows (SKU, capacity, deployment name prefix)",
            "stay within the limits the message lists, or ask the operator",
        ),
        FailureCode(
            "unknown_model",
            "api, resolving",
            "the base model is not in the catalog",
            "use one of the models the message lists",
        ),
        FailureCode(
            "unsupported_combination",
            "api, resolving",
            "the model does not support the method, training type or deployment SKU asked for",
            "pick one of the combinations the message lists",
        ),
        FailureCode(
            "missing_training_file",
            "resolving",
            "the run folder has no training.jsonl",
            "upload incoming/<run>/training.jsonl",
        ),
        FailureCode(
            "missing_file",
            "api, resolving",
            "a dataset blob named by the run does not exist",
            "upload it, or fix its path",
        ),
        FailureCode(
            "invalid_data",
            "validating",
            "a dataset breaks validation rules; nothing was uploaded",
            "fix the lines listed in validation-<file>.json, then upload again",
        ),
        FailureCode(
            "cost_unknown",
            "validating",
            "a cost ceiling is set but the model has no training price",
            "set FT_TRAINING_PRICES for the model, or remove the ceiling",
        ),
        FailureCode(
            "cost_ceiling_exceeded",
            "validating",
            "the estimated training cost is above the ceiling (the lower of FT_MAX_COST_USD "
            "and the run's max_cost_usd)",
            "shrink the dataset or the epochs, or raise the ceiling",
        ),
        FailureCode(
            "approval_rejected",
            "awaiting_approval",
            "a person rejected the gate",
            "read the comment; start a new attempt when ready",
            "rejected",
        ),
        FailureCode(
            "approval_timeout",
            "awaiting_approval",
            "nobody answered the gate within FT_APPROVAL_TIMEOUT_HOURS",
            "start a new attempt",
            "rejected",
        ),
        FailureCode(
            "dataset_changed",
            "validating, uploading",
            "a dataset blob changed after the run pinned it; the changed bytes were not used",
            "start a new attempt (POST /api/runs with the run name) to train the new version",
        ),
        FailureCode(
            "file_rejected",
            "uploading",
            "Azure OpenAI refused to process an uploaded file",
            "read the service's message; fix the file",
        ),
        FailureCode(
            "file_processing_timeout",
            "uploading",
            "Azure OpenAI did not process the files in time",
            "start a new attempt; the uploads are reused",
        ),
        FailureCode(
            "job_failed",
            "training",
            "the fine-tuning job failed (service_code says why)",
            "read the service's message; fix the data or the hyperparameters",
        ),
        FailureCode(
            "job_cancelled",
            "training",
            "the fine-tuning job was cancelled outside the pipeline",
            "start a new attempt if it was a mistake",
        ),
        FailureCode(
            "deadline_exceeded",
            "training",
            "the job ran longer than FT_JOB_TIMEOUT_HOURS; it was cancelled",
            "raise FT_JOB_TIMEOUT_HOURS or reduce the epochs",
        ),
        FailureCode(
            "no_model",
            "choosing_model",
            "the job succeeded without a fine-tuned model",
            "report it to Azure support with the job id",
        ),
        FailureCode(
            "evaluation_failed",
            "evaluating",
            "the candidates could not be evaluated",
            "read the message; check the baseline and grader deployments",
        ),
        FailureCode(
            "not_better_than_baseline",
            "evaluating",
            "no candidate beat the baseline by min_improvement with a confidence interval above "
            "zero; nothing was promoted",
            "improve the data; see the report's worst examples",
            "rejected",
        ),
        FailureCode(
            "deployment_not_managed",
            "deploying",
            "a deployment of that name exists and was not created by this service; it was left alone",
            "choose another deployment name",
        ),
        FailureCode(
            "deployment_failed",
            "deploying",
            "Azure could not provision the deployment",
            "read the service's message; check quota and SKU",
        ),
        FailureCode(
            "deployment_timeout",
            "deploying",
            "the deployment was not ready in time",
            "check the deployment in the portal; start a new attempt",
        ),
        FailureCode(
            "smoke_test_failed",
            "smoke_testing",
            "the deployment did not answer the test chat",
            "check the deployment; the model is deployed",
        ),
        FailureCode(
            "service_error",
            "any",
            "Azure refused a request permanently (service_code says why)",
            "read the service's message",
        ),
        FailureCode(
            "service_unavailable",
            "any",
            "Azure or storage kept failing (throttling, 5xx, network) after every retry",
            "start a new attempt later; nothing is repeated that already happened",
        ),
        FailureCode(
            "cancelled",
            "any",
            "cancelled on request; the Azure job was cancelled and what the run deployed was removed",
            "nothing",
            "cancelled",
        ),
        FailureCode(
            "run_terminated",
            "any",
            "the orchestration was terminated, purged or crashed; the reconciler cancelled its job, "
            "removed its deployments and wrote this report",
            "start a new attempt",
            "cancelled",
        ),
        FailureCode("internal_error", "any", "a bug in the pipeline", "report it with the run's report.json"),
    )
}


class PipelineError(Exception):
    """The one exception of the pipeline: a stable `code` from CODES and a message for people.

    Activities raise it for permanent failures (retrying cannot help); the orchestrator raises it
    to end a stage; the HTTP API turns it into a problem+json answer.
    """

    def __init__(self, code: str, message: str, *, service_code: str | None = None) -> None:
        if code not in CODES:
            raise ValueError(f"unknown failure code {code!r}: add it to tuning.failures.CODES")
        self.code = code
        self.message = short(message)
        self.service_code = service_code
        super().__init__(f"{code}: {self.message}")

    @property
    def status(self) -> RunStatus:
        """How a run that ends with this failure ends: failed, cancelled or rejected."""
        return CODES[self.code].status


def describe_code(code: str) -> FailureCode:
    return CODES[code]


def short(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """One line, at most `limit` characters: messages go into statuses, reports and problem bodies."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
