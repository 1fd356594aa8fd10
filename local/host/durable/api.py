"""The Durable HTTP API subset that `DurableOrchestrationClient` and the status URLs use.

Served twice by the same handlers: under `/durabletask/` (the client's `rpcBaseUrl`, which
the real host only offers on loopback without a key) and under `/runtime/webhooks/durabletask/`
(the URLs of `create_check_status_response`, protected by the system key; here the function key).
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Awaitable, Callable

from aiohttp import web

from local.host.durable.engine import DurableError, Engine
from local.host.durable.status import status_json
from local.host.durable.store import TERMINAL_STATUSES
from local.host.keys import is_authorized

RPC_PREFIX = "/durabletask/"
WEBHOOK_PREFIX = "/runtime/webhooks/durabletask/"
CONTINUATION_HEADER = "x-ms-continuation-token"
_IN_PROGRESS = ("Pending", "Running", "ContinuedAsNew")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def input_json(body: str) -> str | None:
    """The payload as JSON text. The Python SDK posts JSON text wrapped in a JSON string
    (`json=df_dumps(value)`); other callers post the value itself. Both mean the same input."""
    if not body.strip():
        return None
    value = json.loads(body)
    if isinstance(value, str):
        try:
            json.loads(value)
            return value
        except ValueError:
            pass
    return json.dumps(value)


def _flag(request: web.Request, name: str, default: bool = False) -> bool:
    value = request.query.get(name)
    return default if value is None else value.lower() == "true"


class DurableApi:
    def __init__(self, engine: Engine, key: str, hub: str, base_url: str) -> None:
        self.engine = engine
        self.key = key
        self.hub = hub
        self.base_url = base_url.rstrip("/")

    # the client binding

    def management_urls(self, instance_id: str = "INSTANCEID") -> dict[str, str]:
        instance = f"{self.base_url}{WEBHOOK_PREFIX}instances/{instance_id}"
        query = f"taskHub={self.hub}&connection=Storage&code={self.key}"
        return {
            "id": instance_id,
            "statusQueryGetUri": f"{instance}?{query}",
            "sendEventPostUri": f"{instance}/raiseEvent/{{eventName}}?{query}",
            "terminatePostUri": f"{instance}/terminate?reason={{text}}&{query}",
            "purgeHistoryDeleteUri": f"{instance}?{query}",
        }

    def client_json(self) -> str:
        """What a `durable_client_input` parameter receives (DurableOrchestrationBindings)."""
        webhooks = f"{self.base_url}{WEBHOOK_PREFIX}"
        return json.dumps(
            {
                "taskHubName": self.hub,
                "creationUrls": {
                    "createNewInstancePostUri": f"{webhooks}orchestrators/{{functionName}}[/{{instanceId}}]?code={self.key}"
                },
                "managementUrls": self.management_urls(),
                "baseUrl": webhooks.rstrip("/"),
                "requiredQueryStringParameters": f"code={self.key}",
                "rpcBaseUrl": f"{self.base_url}{RPC_PREFIX}",
                "httpBaseUrl": webhooks,
                "maxGrpcMessageSizeInBytes": 0,
                "grpcHttpClientTimeout": "00:01:40",
            }
        )

    # routes

    def routes(self) -> list[web.RouteDef]:
        table = [
            ("POST", "orchestrators/{name}", self.start),
            ("POST", "orchestrators/{name}/{instance_id}", self.start),
            ("GET", "instances/{instance_id}", self.status),
            ("GET", "instances/", self.query),
            ("GET", "instances", self.query),
            ("POST", "instances/{instance_id}/raiseEvent/{event}", self.raise_event),
            ("POST", "instances/{instance_id}/terminate", self.terminate),
            ("DELETE", "instances/{instance_id}", self.purge),
            ("DELETE", "instances/", self.purge_by),
            ("DELETE", "instances", self.purge_by),
        ]
        return [
            web.route(method, prefix + path, self._guard(handler, prefix == RPC_PREFIX))
            for prefix in (RPC_PREFIX, WEBHOOK_PREFIX)
            for method, path, handler in table
        ]

    def _guard(self, handler: Handler, loopback_only: bool) -> Handler:
        async def guarded(request: web.Request) -> web.StreamResponse:
            if loopback_only:
                if not ipaddress.ip_address(request.remote or "0.0.0.0").is_loopback:
                    return web.json_response({"message": "the RPC endpoint is local only"}, status=403)
            elif not is_authorized(self.key, request.headers, request.query):
                return web.json_response({"message": "a valid function key is required"}, status=401)
            try:
                return await handler(request)
            except DurableError as exc:
                return web.json_response(
                    {"Message": str(exc), "ExceptionMessage": str(exc)}, status=exc.status
                )

        return guarded

    async def start(self, request: web.Request) -> web.Response:
        instance_id = self.engine.start(
            request.match_info["name"],
            request.match_info.get("instance_id"),
            input_json(await request.text()),
        )
        urls = self.management_urls(instance_id)
        return web.json_response(urls, status=202, headers={"Location": urls["statusQueryGetUri"]})

    async def status(self, request: web.Request) -> web.Response:
        instance_id = request.match_info["instance_id"]
        instance = self.engine.store.instance(instance_id)
        if instance is None:
            return web.json_response({"message": f"No instance with ID '{instance_id}' found."}, status=404)
        history = self.engine.store.history(instance_id) if _flag(request, "showHistory") else None
        body = status_json(
            instance,
            history,
            show_input=_flag(request, "showInput", True),
            show_history_output=_flag(request, "showHistoryOutput"),
        )
        code = 202 if instance.status in _IN_PROGRESS else 200
        if instance.status == "Failed" and _flag(request, "returnInternalServerErrorOnFailure"):
            code = 500
        return web.json_response(body, status=code)

    async def query(self, request: web.Request) -> web.Response:
        offset = int(request.headers.get(CONTINUATION_HEADER) or 0)
        top = int(request.query.get("top") or 100)
        statuses = [s for s in request.query.get("runtimeStatus", "").split(",") if s]
        found = self.engine.store.query(
            statuses,
            request.query.get("createdTimeFrom"),
            request.query.get("createdTimeTo"),
            offset,
            top + 1,
        )
        headers = {CONTINUATION_HEADER: str(offset + top)} if len(found) > top else {}
        show_input = _flag(request, "showInput")
        return web.json_response(
            [status_json(item, show_input=show_input) for item in found[:top]], headers=headers
        )

    async def raise_event(self, request: web.Request) -> web.Response:
        self.engine.raise_event(
            request.match_info["instance_id"], request.match_info["event"], input_json(await request.text())
        )
        return web.Response(status=202)

    async def terminate(self, request: web.Request) -> web.Response:
        self.engine.terminate(request.match_info["instance_id"], request.query.get("reason"))
        return web.Response(status=202)

    async def purge(self, request: web.Request) -> web.Response:
        deleted = self.engine.purge(request.match_info["instance_id"])
        return web.json_response({"instancesDeleted": int(deleted)}, status=200 if deleted else 404)

    async def purge_by(self, request: web.Request) -> web.Response:
        statuses = [s for s in request.query.get("runtimeStatus", "").split(",") if s in TERMINAL_STATUSES]
        found = self.engine.store.query(
            statuses or list(TERMINAL_STATUSES),
            request.query.get("createdTimeFrom"),
            request.query.get("createdTimeTo"),
            0,
            1_000_000,
        )
        deleted = sum(self.engine.purge(item.instance_id) for item in found)
        return web.json_response({"instancesDeleted": deleted}, status=200 if deleted else 404)
