"""RFC 7807 problem bodies: every client mistake gets a 4xx that says what to fix."""

from __future__ import annotations

import json
from typing import Any

import azure.functions as func

TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    404: "Not found",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    500: "Internal error",
}


class Problem(Exception):
    def __init__(self, status: int, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.extra = extra

    def response(self) -> func.HttpResponse:
        body = {
            "type": "about:blank",
            "title": TITLES.get(self.status, "Error"),
            "status": self.status,
            "detail": self.detail,
            **self.extra,
        }
        return func.HttpResponse(
            json.dumps(body), status_code=self.status, mimetype="application/problem+json"
        )


def json_response(document: Any, status: int = 200) -> func.HttpResponse:
    return func.HttpResponse(
        json.dumps(document, default=str), status_code=status, mimetype="application/json"
    )
