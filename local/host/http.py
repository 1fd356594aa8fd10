"""HTTP-triggered functions at /api/<route>, with route parameters, methods, auth levels and the body limit.

Like the Functions host, a request body larger than `FUNCTIONS_REQUEST_BODY_SIZE_LIMIT` bytes
(100 MB by default) is refused with 413 before the function runs; anything smaller reaches the
function, which applies its own limits.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

import azure.functions as func
from aiohttp import web

from local.host.indexing import HttpFunction
from local.host.invoke import invoke_async
from local.host.keys import is_authorized
from local.host.settings import DEFAULT_BODY_LIMIT

__all__ = ["HttpFunctions", "read_body", "route_paths", "to_response"]

log = logging.getLogger("devhost.http")

_PARAMETER = re.compile(r"\{(?P<star>\*?)(?P<name>\w+)(?::[^}?]*)?(?P<optional>\?)?\}")
_CHUNK = 64 * 1024


def route_paths(route: str) -> list[str]:
    """aiohttp paths for a Functions route template: constraints dropped (`{id:int}`),
    catch-alls kept (`{*rest}`), and a trailing optional parameter (`{id?}`) served with and without."""
    paths = ["/api"]
    for segment in route.strip("/").split("/"):
        match = _PARAMETER.fullmatch(segment)
        if match is None:
            paths = [path + "/" + segment for path in paths]
            continue
        name = match["name"]
        rendered = f"/{{{name}:.*}}" if match["star"] else f"/{{{name}}}"
        paths = (
            [*paths, *(path + rendered for path in paths)]
            if match["optional"]
            else [path + rendered for path in paths]
        )
    return paths


def to_response(result: object) -> web.Response:
    if result is None:
        return web.Response(status=204)
    if not isinstance(result, func.HttpResponse):
        result = func.HttpResponse(result if isinstance(result, (str, bytes)) else str(result))
    headers = dict(result.headers)
    if not any(name.lower() == "content-type" for name in headers):
        headers["Content-Type"] = f"{result.mimetype}; charset={result.charset}"
    return web.Response(status=result.status_code, body=result.get_body(), headers=headers)


async def read_body(request: web.Request, limit: int) -> bytes | None:
    """The request body, or None as soon as it is known to exceed `limit` bytes (declared or streamed)."""
    if request.content_length is not None and request.content_length > limit:
        return None
    body = bytearray()
    async for chunk in request.content.iter_chunked(_CHUNK):
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


def _binding_data(request: web.Request, body: bytes) -> dict[str, Any]:
    """What binding expressions of an HTTP function can use: route parameters, Query, Headers, JSON body."""
    data: dict[str, Any] = {}
    if request.content_type == "application/json":
        try:
            parsed = json.loads(body)
        except (ValueError, RecursionError):  # a body binding expressions cannot use; the function decides
            parsed = None
        if isinstance(parsed, dict):
            data.update(parsed)
    data.update(Query=dict(request.query), Headers=dict(request.headers))
    data.update(request.match_info)
    return data


class HttpFunctions:
    def __init__(
        self,
        functions: list[HttpFunction],
        key: str,
        client_json: Callable[[], str],
        body_limit: int = DEFAULT_BODY_LIMIT,
    ) -> None:
        self.functions = functions
        self.key = key
        self.client_json = client_json
        self.body_limit = body_limit

    def routes(self) -> list[web.RouteDef]:
        return [
            web.route(method, path, self._handler(function))
            for function in self.functions
            for path in route_paths(function.route)
            for method in function.methods or ["*"]
        ]

    def _handler(self, function: HttpFunction) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handle(request: web.Request) -> web.StreamResponse:
            if function.auth_level != "anonymous" and not is_authorized(
                self.key, request.headers, request.query
            ):
                log.info(
                    "Rejected '%s' (%s %s): no valid function key",
                    function.name,
                    request.method,
                    request.path,
                )
                return web.json_response({"message": "a valid function key is required"}, status=401)
            body = await read_body(request, self.body_limit)
            if body is None:
                log.info(
                    "Rejected '%s' (%s %s): the request body exceeds %d bytes",
                    function.name,
                    request.method,
                    request.path,
                    self.body_limit,
                )
                refused = web.Response(status=413)
                refused.force_close()  # the unread rest of the body must not be taken for a next request
                return refused
            argument = func.HttpRequest(
                request.method,
                str(request.url),
                headers=dict(request.headers),
                params=dict(request.query),
                route_params=dict(request.match_info),
                body=body,
            )
            started = time.monotonic()
            try:
                result = await invoke_async(
                    function, argument, _binding_data(request, body), self.client_json()
                )
                response = to_response(result)
            except Exception:
                log.exception("Function '%s' failed (%s %s)", function.name, request.method, request.path)
                return web.json_response({"message": f"function '{function.name}' failed"}, status=500)
            log.info(
                "Executed '%s' (%s %s) -> %d in %.0f ms",
                function.name,
                request.method,
                request.path,
                response.status,
                (time.monotonic() - started) * 1000,
            )
            return response

        return handle
