"""HTTP-triggered functions at /api/<route>, with route parameters, methods and auth levels."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable

import azure.functions as func
from aiohttp import web

from local.host.indexing import HttpFunction
from local.host.keys import is_authorized

log = logging.getLogger("devhost.http")

_PARAMETER = re.compile(r"\{(?P<star>\*?)(?P<name>\w+)(?::[^}?]*)?(?P<optional>\?)?\}")


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


class HttpFunctions:
    def __init__(self, functions: list[HttpFunction], key: str, client_json: Callable[[], str]) -> None:
        self.functions = functions
        self.key = key
        self.client_json = client_json

    def routes(self) -> list[web.RouteDef]:
        return [
            web.route(method, path, self._handler(function))
            for function in self.functions
            for path in route_paths(function.route)
            for method in function.methods or ["*"]
        ]

    def _handler(self, function: HttpFunction):
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
            argument = func.HttpRequest(
                request.method,
                str(request.url),
                headers=dict(request.headers),
                params=dict(request.query),
                route_params=dict(request.match_info),
                body=await request.read(),
            )
            started = time.monotonic()
            try:
                response = to_response(await function.call(argument, self.client_json()))
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
