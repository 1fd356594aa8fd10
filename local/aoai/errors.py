"""The one exception handlers raise, rendered in the error shape of the surface that was called.

A handler says what went wrong (`Kind`: invalid, not found, ...) and, where a service has a
specific code for it (`DeploymentNotFound`, `DeploymentModelNotSupported`,
`decimal_above_max_value`), that code. The middleware renders it for the surface:

- authoring (`/openai/...?api-version=`): `{"error": {"code", "message", "target"?}}` with the
  code from the authoring spec's `ErrorCode` enum (`invalidPayload`, `notFound`, ...);
- inference (Azure chat): `{"error": {"code", "message", "param"?, "type"?}}`;
- v1 (`/openai/v1/`): OpenAI's `Error`, always `message`, `type`, `param` and `code` (the last
  two may be null);
- ARM: `{"error": {"code", "message", "target"?}}` (common-types `ErrorDetail`).
"""

from __future__ import annotations

import json
from enum import Enum
from typing import Any, TypeVar

from aiohttp import web

from local.aoai.surfaces import Surface

__all__ = [
    "ApiError",
    "Kind",
    "conflict",
    "invalid",
    "missing",
    "require",
]

Found = TypeVar("Found")


class Kind(Enum):
    INVALID = "invalid"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    UNAUTHORIZED = "unauthorized"
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"
    INTERNAL = "internal"
    QUOTA = "quota"


STATUS = {
    Kind.INVALID: 400,
    Kind.NOT_FOUND: 404,
    # The authoring spec names `unexpectedEntityState` but no status; the service (and OpenAI on
    # /v1/) refuses e.g. cancelling a finished job with 400.
    Kind.CONFLICT: 400,
    Kind.UNAUTHORIZED: 401,
    Kind.RATE_LIMITED: 429,
    Kind.UNAVAILABLE: 503,
    Kind.INTERNAL: 500,
    Kind.QUOTA: 400,
}

# The authoring spec's ErrorCode enum; no other code may appear on those routes.
AUTHORING_CODES = {
    Kind.INVALID: "invalidPayload",
    Kind.NOT_FOUND: "notFound",
    Kind.CONFLICT: "unexpectedEntityState",
    Kind.UNAUTHORIZED: "unauthorized",
    Kind.RATE_LIMITED: "tooManyRequests",
    Kind.UNAVAILABLE: "serviceUnavailable",
    Kind.INTERNAL: "internalFailure",
    Kind.QUOTA: "quotaExceeded",
}

# The inference spec's error code is a free string: the gateway's own codes, as Azure sends them.
INFERENCE_CODES = {
    Kind.INVALID: "BadRequest",
    Kind.NOT_FOUND: "404",
    Kind.CONFLICT: "BadRequest",
    Kind.UNAUTHORIZED: "401",
    Kind.RATE_LIMITED: "429",
    Kind.UNAVAILABLE: "ServiceUnavailable",
    Kind.INTERNAL: "InternalServerError",
    Kind.QUOTA: "429",
}

V1_TYPES = {
    Kind.INVALID: "invalid_request_error",
    Kind.NOT_FOUND: "invalid_request_error",
    Kind.CONFLICT: "invalid_request_error",
    Kind.UNAUTHORIZED: "invalid_request_error",
    Kind.RATE_LIMITED: "requests",
    Kind.UNAVAILABLE: "server_error",
    Kind.INTERNAL: "server_error",
    Kind.QUOTA: "invalid_request_error",
}

# OpenAI leaves `code` null for most request errors; these are the ones it names.
V1_CODES = {
    Kind.UNAUTHORIZED: "invalid_api_key",
    Kind.RATE_LIMITED: "rate_limit_exceeded",
    Kind.QUOTA: "quota_exceeded",
}

ARM_CODES = {
    Kind.INVALID: "InvalidRequestContent",
    Kind.NOT_FOUND: "ResourceNotFound",
    Kind.CONFLICT: "Conflict",
    Kind.UNAUTHORIZED: "AuthenticationFailed",
    Kind.RATE_LIMITED: "TooManyRequests",
    Kind.UNAVAILABLE: "ServiceUnavailable",
    Kind.INTERNAL: "InternalServerError",
    Kind.QUOTA: "InsufficientQuota",
}


class ApiError(Exception):
    """An HTTP error; `code` is the service-specific code where one exists, `headers` e.g. Retry-After."""

    def __init__(
        self,
        kind: Kind,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.param = param
        self.code = code
        self.status = status or STATUS[kind]
        self.headers = headers or {}

    def body(self, surface: Surface) -> dict[str, Any]:
        error: dict[str, Any]
        if surface is Surface.AUTHORING:
            error = {"code": AUTHORING_CODES[self.kind], "message": self.message}
            if self.param is not None:
                error["target"] = self.param
        elif surface is Surface.V1:
            error = {
                "message": self.message,
                "type": V1_TYPES[self.kind],
                "param": self.param,
                "code": self.code or V1_CODES.get(self.kind),
            }
        elif surface is Surface.ARM:
            error = {"code": self.code or ARM_CODES[self.kind], "message": self.message}
            if self.param is not None:
                error["target"] = self.param
        else:
            error = {"code": self.code or INFERENCE_CODES[self.kind], "message": self.message}
            if self.param is not None:
                error["param"] = self.param
            error["type"] = V1_TYPES[self.kind]
        return {"error": error}

    def response(self, surface: Surface) -> web.Response:
        return web.Response(
            text=json.dumps(self.body(surface)),
            status=self.status,
            content_type="application/json",
            headers=self.headers,
        )


def invalid(message: str, param: str | None = None, code: str | None = None) -> ApiError:
    """A 400 for a request the service refuses to act on."""
    return ApiError(Kind.INVALID, message, param=param, code=code)


def conflict(message: str) -> ApiError:
    """A request that is valid but not in the record's current state (cancel a finished job)."""
    return ApiError(Kind.CONFLICT, message)


def missing(what: str, ident: str, param: str | None = None) -> ApiError:
    """A 404 for an id the emulator does not hold."""
    return ApiError(Kind.NOT_FOUND, f"No {what} with id '{ident}' exists.", param=param)


def require(record: Found | None, error: ApiError) -> Found:
    """The record a route names, or the route's 404."""
    if record is None:
        raise error
    return record
