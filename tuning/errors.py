"""Which failures are worth retrying.

A transient failure (throttling, a 5xx, a dropped connection) raises out of the activity so
Durable Functions retries it with the retry options stated at the call site. A permanent one
(bad data, a 400 from the service, a missing blob) must not be retried: retrying it only
repeats the error and, for paid operations, could repeat a side effect. Activities turn it
into a `Failure` result that the orchestrator records in the report.
"""

from __future__ import annotations

import openai
from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError
from pydantic import BaseModel

TRANSIENT_STATUS = {408, 409, 429, 500, 502, 503, 504}


class Failure(BaseModel):
    code: str
    message: str


class PermanentError(Exception):
    """A failure that retrying cannot fix."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    def to_failure(self) -> Failure:
        return Failure(code=self.code, message=self.message)


def is_transient(error: BaseException) -> bool:
    if isinstance(error, (openai.APIConnectionError, ServiceRequestError, ServiceResponseError)):
        return True
    if isinstance(error, openai.APIStatusError):
        return error.status_code in TRANSIENT_STATUS
    if isinstance(error, HttpResponseError):
        return error.status_code is None or error.status_code in TRANSIENT_STATUS
    return isinstance(error, (TimeoutError, ConnectionError))


def as_failure(error: BaseException) -> Failure | None:
    """The Failure a permanent error stands for, or None when the error should be retried."""
    if isinstance(error, PermanentError):
        return error.to_failure()
    if is_transient(error):
        return None
    if isinstance(error, openai.APIStatusError):
        return Failure(code=service_error_code(error), message=_short(error.message))
    if isinstance(error, HttpResponseError):
        code = getattr(getattr(error, "error", None), "code", None) or f"http_{error.status_code}"
        return Failure(code=code, message=_short(str(error.message or error)))
    if isinstance(error, (ValueError, FileNotFoundError)):
        return Failure(code=type(error).__name__, message=_short(str(error)))
    return None


def service_error_code(error: openai.APIStatusError) -> str:
    """Azure's error code (`DeploymentNotReady`, `invalidPayload`...), else `http_<status>`.
    The SDK hands over the body's `error` object, or the whole body for other shapes."""
    body = error.body if isinstance(error.body, dict) else {}
    inner = body.get("error") if isinstance(body.get("error"), dict) else body
    return str(inner.get("code") or f"http_{error.status_code}")


def _short(text: str, limit: int = 500) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
