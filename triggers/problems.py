"""RFC 7807 problem bodies: every client mistake gets a 4xx that says what to fix, never a 500."""

from __future__ import annotations

import json
from typing import Any

import azure.functions as func

from tuning.failures import CODES, PipelineError

__all__ = ["Problem", "json_response", "problem_for"]

TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    500: "Internal error",
}
# What each failure code means for an HTTP caller; anything else in the caller's input is a 400.
STATUS_OF_CODE = {"missing_file": 422, "missing_training_file": 422}


class Problem(Exception):
    """A 4xx answer; `code` is one of tuning.failures.CODES, so API answers and run failures share
    one vocabulary (and one README table)."""

    def __init__(self, status: int, detail: str, *, code: str, **extra: Any) -> None:
        if code not in CODES:
            raise ValueError(f"unknown failure code {code!r}: add it to tuning.failures.CODES")
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.code = code
        self.extra = extra

    def response(self) -> func.HttpResponse:
        body = {
            "type": "about:blank",
            "title": TITLES.get(self.status, "Error"),
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
            **self.extra,
        }
        return func.HttpResponse(
            json.dumps(body), status_code=self.status, mimetype="application/problem+json"
        )


def problem_for(error: PipelineError) -> Problem:
    """A domain failure caused by the caller's input, as the HTTP answer it deserves."""
    return Problem(STATUS_OF_CODE.get(error.code, 400), error.message, code=error.code)


def json_response(
    document: Any, status: int = 200, headers: dict[str, str] | None = None
) -> func.HttpResponse:
    return func.HttpResponse(
        json.dumps(document, default=str), status_code=status, mimetype="application/json", headers=headers
    )
