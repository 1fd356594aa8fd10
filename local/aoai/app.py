"""Wiring: the route table under both data-plane prefixes, ARM and admin routes, and the
middleware every request passes through (log, request ids, errors, auth and api-version,
faults, lifecycles, persistence).
"""

from __future__ import annotations

import logging
import time
import uuid

from aiohttp import web

from local.aoai import admin, arm, chat, files, jobs, uploads
from local.aoai.arm_versions import API_VERSIONS
from local.aoai.auth import check_arm, check_data_plane
from local.aoai.chatlog import ChatLog
from local.aoai.context import EMULATOR, Emulator, Settings
from local.aoai.errors import ApiError, Kind
from local.aoai.faults import DroppedConnection, Faults
from local.aoai.routes import Handler, Operation, operations
from local.aoai.state import now
from local.aoai.surfaces import Surface, surface_of

__all__ = ["DATA_PLANE", "create_app", "served_operations"]

log = logging.getLogger("local.aoai")

DATA_PLANE = [*files.ROUTES, *uploads.ROUTES, *jobs.ROUTES, *chat.API_VERSION_ROUTES, *chat.V1_ROUTES]
MAX_BODY = 512 * 1024 * 1024
# Azure's /openai/v1/ routes take no dated api-version ("api-version not allowed"); these two are accepted.
V1_API_VERSIONS = ("v1", "preview")


def served_operations() -> list[Operation]:
    return operations(DATA_PLANE, arm.ROUTES)


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
async def request_ids(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The ids Azure puts on every answer: `apim-request-id` and `x-request-id` on the data plane,
    `x-ms-request-id` and `x-ms-correlation-request-id` on ARM. Handlers add to `request["ids"]`."""
    ident = str(uuid.uuid4())
    if surface_of(request) is Surface.ARM:
        request["ids"] = {"x-ms-request-id": ident, "x-ms-correlation-request-id": ident}
    else:
        request["ids"] = {"apim-request-id": ident, "x-request-id": ident}
    response = await handler(request)
    if not response.prepared:
        response.headers.update(request["ids"])
    return response


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Render ApiError and router errors in the surface's shape; never leak a Python traceback."""
    surface = surface_of(request)
    try:
        return await handler(request)
    except ApiError as error:
        return error.response(surface)
    except DroppedConnection:
        raise
    except web.HTTPException as error:
        if error.status == 405:
            message = f"The method {request.method} is not allowed for {request.path}."
            return ApiError(Kind.INVALID, message, code="MethodNotAllowed", status=405).response(surface)
        if surface is Surface.ARM:
            message = "The resource type could not be found in the namespace 'Microsoft.CognitiveServices'."
            return ApiError(Kind.NOT_FOUND, message, code="InvalidResourceType").response(surface)
        return ApiError(Kind.NOT_FOUND, "Resource not found").response(surface)
    except Exception:
        log.exception("unhandled error in %s %s", request.method, request.path)
        return ApiError(Kind.INTERNAL, "The emulator failed to process the request.").response(surface)


def _check_api_version(request: web.Request, surface: Surface) -> None:
    version = request.query.get("api-version")
    if surface is Surface.ARM:
        if version is None:
            raise ApiError(
                Kind.INVALID,
                "The api-version query parameter (?api-version=) is required for all requests.",
                code="MissingApiVersionParameter",
            )
        if version not in API_VERSIONS:
            raise ApiError(
                Kind.INVALID,
                f"No registered resource provider found for location '{arm.REGION}' and API version "
                f"'{version}' for type 'accounts'. The supported api-versions are "
                f"'{', '.join(API_VERSIONS)}'.",
                code="NoRegisteredProviderFound",
            )
    elif surface is Surface.V1 and version is not None and version not in V1_API_VERSIONS:
        raise ApiError(
            Kind.INVALID, f"api-version '{version}' is not allowed on /openai/v1/.", param="api-version"
        )
    elif surface.azure_style and version is None:
        # Azure answers a dated route without api-version as an unknown resource.
        raise ApiError(Kind.NOT_FOUND, "Resource not found")


@web.middleware
async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
    emu, surface = request.app[EMULATOR], surface_of(request)
    if surface is Surface.ARM:
        check_arm(request, emu.settings.api_key)
    else:
        check_data_plane(request, emu.settings.api_key)
    _check_api_version(request, surface)
    return await handler(request)


def _fault_error(kind: str, faults: Faults) -> ApiError:
    retry = faults.retry_after_headers()
    if kind == "rate_429":
        message = (
            "Requests have exceeded the call rate limit (injected by the emulator). "
            f"Please retry after {faults.retry_after_ms} milliseconds."
        )
        return ApiError(Kind.RATE_LIMITED, message, headers=retry)
    if kind == "rate_503":
        return ApiError(Kind.UNAVAILABLE, "The service is temporarily unavailable (injected).", headers=retry)
    return ApiError(Kind.INTERNAL, "The server had an error while processing the request (injected).")


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
        raise _fault_error(kind, faults)
    return await handler(request)


def _advance(emu: Emulator) -> None:
    at = now()
    files.advance(emu, at)
    uploads.advance(emu, at)
    jobs.advance(emu, at)
    arm.advance(emu, at)


@web.middleware
async def lifecycle(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Bring every record up to date before the handler reads it; persist what changed after."""
    emu = request.app[EMULATOR]
    _advance(emu)
    try:
        response = await handler(request)
    except ApiError:
        emu.flush()
        raise
    if request.method != "GET" and response.status < 400 and route_group(request.path) != "chat":
        emu.changed()
    emu.flush()
    return response


def create_app(settings: Settings, faults: Faults) -> web.Application:
    emu = Emulator(settings, faults, chats=ChatLog(settings.state_dir))
    if settings.state_dir is not None:
        emu.store.load(settings.state_dir)
    app = web.Application(
        client_max_size=MAX_BODY,
        middlewares=[request_log, request_ids, errors, authenticate, inject_faults, lifecycle],
    )
    app[EMULATOR] = emu
    served = served_operations()
    app[admin.OPERATIONS] = served
    app.add_routes([web.route(o.method, o.path, o.handler) for o in served])
    app.add_routes(admin.ROUTES)
    return app
