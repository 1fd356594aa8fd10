"""Which failures of the Azure SDKs are worth retrying, and what the others mean for a run.

A transient failure (throttling, a 5xx, a dropped connection) raises out of the activity so
Durable Functions retries it with the retry options stated at the call site. A permanent one
(a 4xx from the service, a bad blob) must not be retried: retrying only repeats the error and,
for paid operations, could repeat a side effect. It becomes a PipelineError, which the activity
returns as a Failure for the orchestrator to record.
"""

from __future__ import annotations

import openai
from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError

from tuning.failures import PipelineError, short

__all__ = ["TRANSIENT_STATUS", "as_pipeline_error", "is_transient", "service_error_code"]

TRANSIENT_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})


def is_transient(error: BaseException) -> bool:
    if isinstance(error, (openai.APIConnectionError, ServiceRequestError, ServiceResponseError)):
        return True
    if isinstance(error, openai.APIStatusError):
        return error.status_code in TRANSIENT_STATUS
    if isinstance(error, HttpResponseError):
        return error.status_code is None or error.status_code in TRANSIENT_STATUS
    return isinstance(error, (TimeoutError, ConnectionError))


def as_pipeline_error(error: BaseException) -> PipelineError | None:
    """The permanent failure an error stands for, or None when it should be retried."""
    if isinstance(error, PipelineError):
        return error
    if is_transient(error):
        return None
    if isinstance(error, openai.APIStatusError):
        return PipelineError("service_error", error.message, service_code=service_error_code(error))
    if isinstance(error, HttpResponseError):
        code = getattr(getattr(error, "error", None), "code", None)
        return PipelineError("service_error", str(error.message or error), service_code=code)
    return PipelineError("internal_error", f"{type(error).__name__}: {short(str(error), 300)}")


def service_error_code(error: openai.APIStatusError) -> str | None:
    """Azure's or OpenAI's error code (`invalidPayload`, `rate_limit_exceeded`...), if the body has one,
    for reports only: the pipeline decides by HTTP status, never by comparing codes.
    The SDK hands over the body's `error` object, or the whole body for other shapes."""
    body = error.body if isinstance(error.body, dict) else {}
    nested = body.get("error")
    inner = nested if isinstance(nested, dict) else body
    code = inner.get("code")
    return str(code) if code else None
