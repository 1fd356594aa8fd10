"""The one exception handlers raise, rendered in the error shape Azure uses.

Both the data plane and ARM answer `{"error": {"code", "message"}}`; the data plane adds
`param` and `type` where OpenAI's SDK reads them. Keeping one exception type means every
route group fails the same way and the middleware is the only place that renders errors.
"""

from __future__ import annotations

from typing import Any, TypeVar

from aiohttp import web

Found = TypeVar("Found")


class ApiError(Exception):
    """An HTTP error with Azure's body; `headers` carries e.g. Retry-After."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        param: str | None = None,
        type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.param = param
        self.type = type
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.param is not None:
            error["param"] = self.param
        if self.type is not None:
            error["type"] = self.type
        return {"error": error}

    def response(self) -> web.Response:
        return web.json_response(self.body(), status=self.status, headers=self.headers)


def invalid(message: str, param: str | None = None, code: str = "invalidPayload") -> ApiError:
    """A data-plane 400 for a request the service refuses to act on."""
    return ApiError(400, code, message, param=param, type="invalid_request_error")


def not_found(what: str, ident: str) -> ApiError:
    """A data-plane 404 for an id the emulator does not hold."""
    return ApiError(404, "NotFound", f"{what} with id '{ident}' was not found.", type="invalid_request_error")


def require(record: Found | None, error: ApiError) -> Found:
    """The record a route names, or the route's 404."""
    if record is None:
        raise error
    return record


RESOURCE_NOT_FOUND = ApiError(404, "404", "Resource not found")
