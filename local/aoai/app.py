"""Wiring: routes under both data-plane prefixes, ARM and admin routes, and the middleware
that every request passes through (log, errors, auth, api-version, faults, lifecycles, persistence).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterable

from aiohttp import web

from local.aoai import admin, arm, chat, files, jobs, uploads
from local.aoai.auth import check_arm, check_data_plane
from local.aoai.context import EMULATOR, Emulator, Settings
from local.aoai.errors import RESOURCE_NOT_FOUND, ApiError
from local.aoai.faults import DroppedConnection, Faults
from local.aoai.state import now

log = logging.getLogger("local.aoai")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
DATA_PLANE = [*files.ROUTES, *uploads.ROUTES, *jobs.ROUTES]
MAX_BODY = 512 * 1024 * 1024


def route_group(path: str) -> str | None:
    """The fault group of a path; None for admin and unknown routes."""
    if path.startswith("/subscriptions/"):
        return "arm"
    if not path.startswith("/openai/"):
        return None
    if "/fine_tuning/" in path or path.endswith("/fine_tuning/jobs"):
        return "jobs"
    if path.endswith("/chat/completions"):
        return "chat"
    if "/files" in path or "/uploads" in path:
        return "files"
    return None


def _prefixed(prefix: str, routes: Iterable[web.RouteDef]) -> list[web.RouteDef]:
    return [web.route(r.method, prefix + r.path, r.handler) for r in routes]


@web.middleware
async def request_log(request: web.Request, handler: Handler) -> web.StreamResponse:
    """One INFO line per request: method, path, status, time; never headers (they hold keys).

    A dropped connection ends here: aiohttp cannot send the placeholder response over the
    aborted transport and drops it quietly, which is the point.
    """
    started = time.perf_counter()
    try:
        response = await handler(request)
        outcome = str(response.status)
    except DroppedConnection:
        response, outcome = web.Response(status=500), "dropped"
    log.info(
        "%s %s -> %s (%.1f ms)", request.method, request.path, outcome, (time.perf_counter() - started) * 1000
    )
    return response


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Render ApiError and router errors in Azure's shape; never leak a Python traceback."""
    try:
        return await handler(request)
    except ApiError as error:
        return error.response()
    except DroppedConnection:
        raise
    except web.HTTPException as error:
        if error.status == 405:
            return ApiError(
                405, "MethodNotAllowed", f"The method {request.method} is not allowed here."
            ).response()
        if request.path.startswith("/subscriptions/"):
            return ApiError(404, "InvalidResourceType", "The resource type could not be found.").response()
        return RESOURCE_NOT_FOUND.response()
    except Exception:
        log.exception("unhandled error in %s %s", request.method, request.path)
        return ApiError(500, "InternalServerError", "The emulator failed to process the request.").response()


@web.middleware
async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
    emu = request.app[EMULATOR]
    if request.path.startswith("/subscriptions/"):
        check_arm(request, emu.settings.api_key)
        if "api-version" not in request.query:
            raise ApiError(
                400,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            )
    else:
        check_data_plane(request, emu.settings.api_key)
        if (
            request.path.startswith("/openai/")
            and not request.path.startswith("/openai/v1/")
            and "api-version" not in request.query
        ):
            raise RESOURCE_NOT_FOUND
    return await handler(request)


def _fault_error(kind: str, group: str, faults: Faults) -> ApiError:
    retry = faults.retry_after_headers()
    if kind == "rate_429":
        code = "TooManyRequests" if group == "arm" else "429"
        return ApiError(
            429,
            code,
            "Requests have exceeded the call rate limit (injected by the emulator). "
            f"Please retry after {faults.retry_after_ms} milliseconds.",
            headers=retry,
        )
    if kind == "rate_503":
        return ApiError(
            503, "ServiceUnavailable", "The service is temporarily unavailable (injected).", headers=retry
        )
    return ApiError(
        500, "InternalServerError", "The server had an error while processing the request (injected)."
    )


@web.middleware
async def inject_faults(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Fail before any work is done, so a retried request is always safe to repeat."""
    faults = request.app[EMULATOR].faults
    group = route_group(request.path)
    kind = faults.roll(group) if group else None
    if kind == "rate_disconnect":
        if request.transport is not None:
            request.transport.abort()
        raise DroppedConnection("connection dropped by the emulator (injected)")
    if kind:
        raise _fault_error(kind, group, faults)
    return await handler(request)


@web.middleware
async def lifecycle(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Bring every record up to date before the handler reads it; persist what changed after."""
    emu = request.app[EMULATOR]
    at = now()
    files.advance(emu, at)
    jobs.advance(emu, at)
    arm.advance(emu, at)
    try:
        response = await handler(request)
    except ApiError:
        emu.flush()
        raise
    if request.method != "GET" and response.status < 400:
        emu.changed()
    emu.flush()
    return response


def create_app(settings: Settings, faults: Faults) -> web.Application:
    emu = Emulator(settings, faults)
    if settings.state_dir is not None:
        emu.store.load(settings.state_dir)
    app = web.Application(
        client_max_size=MAX_BODY, middlewares=[request_log, errors, authenticate, inject_faults, lifecycle]
    )
    app[EMULATOR] = emu
    app.add_routes(
        [
            *_prefixed("/openai/v1", [*DATA_PLANE, *chat.V1_ROUTES]),
            *_prefixed("/openai", [*DATA_PLANE, *chat.API_VERSION_ROUTES]),
            *arm.ROUTES,
            *admin.ROUTES,
        ]
    )
    return app
