"""The Durable Functions HTTP API: what `DurableOrchestrationClient` and the management URLs call.

Served twice by one dispatcher: under `/durabletask/` (the client's `rpcBaseUrl`, which the real
host only offers on loopback without a key) and under `/runtime/webhooks/durabletask/` (the URLs
of `create_check_status_response`, protected by the system key; here the function key). The
routing, status codes and bodies follow the extension's `HttpApiHandler` and Microsoft's "HTTP
API reference": 404 and 410 answers have no body, other refusals carry an `HttpError` JSON body
(`Message`, `ExceptionMessage`), times are `yyyy-MM-ddTHH:mm:ssZ`, and a running instance's
status comes with `Location` and `Retry-After`.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from aiohttp import web

from local.host.durable.engine import Engine
from local.host.durable.entities import entity_id
from local.host.durable.errors import DurableError
from local.host.durable.history import api_time, format_time
from local.host.durable.status import status_json
from local.host.durable.store import EntityRow, InstanceQuery
from local.host.keys import is_authorized

__all__ = ["CONTINUATION_HEADER", "RPC_PREFIX", "WEBHOOK_PREFIX", "DurableApi", "input_json"]

RPC_PREFIX = "/durabletask/"
WEBHOOK_PREFIX = "/runtime/webhooks/durabletask/"
CONTINUATION_HEADER = "x-ms-continuation-token"
_IN_PROGRESS = ("Pending", "Running", "ContinuedAsNew", "Suspended")
_STATUSES = (
    "Running",
    "Completed",
    "ContinuedAsNew",
    "Failed",
    "Canceled",
    "Terminated",
    "Pending",
    "Suspended",
)
_GONE_FOR_EVENTS = ("Failed", "Canceled", "Terminated", "Completed")
_DEFAULT_PAGE = 100
_STATUS_RETRY_AFTER = "5"
_START_RETRY_AFTER = "10"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Route = Callable[[web.Request, dict[str, str]], Awaitable[web.StreamResponse]]


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
    """A boolean query parameter as .NET's bool.TryParse reads it; anything else is the default."""
    value = (request.query.get(name) or "").lower()
    return {"true": True, "false": False}.get(value, default)


def _time(request: web.Request, name: str) -> str | None:
    """An ISO 8601 query parameter as a stored timestamp (UTC unless it has an offset), None if bad."""
    try:
        moment = datetime.fromisoformat((request.query.get(name) or "").strip())
    except ValueError:
        return None
    return format_time(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def _int(request: web.Request, name: str, default: int) -> int:
    value = request.query.get(name, "")
    return int(value) if value.isdigit() else default


def _statuses(request: web.Request) -> tuple[str, ...]:
    """`runtimeStatus=A,B`: the names of OrchestrationRuntimeStatus; unknown names are ignored."""
    given = ",".join(request.query.getall("runtimeStatus", [])).split(",")
    return tuple(status for status in _STATUSES if status in given)


def _error(status: int, message: str, exception: str | None = None) -> web.Response:
    """The extension's `CreateErrorResponse`: an HttpError JSON body."""
    body: dict[str, str] = {"Message": message}
    if exception is not None:
        body["ExceptionMessage"] = exception
    return web.json_response(body, status=status)


def _empty(status: int) -> web.Response:
    return web.Response(status=status)


_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"orchestrators/(?P<name>[^/]+)(?:/(?P<instance_id>[^/]+))?"), "orchestrators"),
    (re.compile(r"entities(?:/(?P<name>[^/]+))?(?:/(?P<key>[^/]+))?"), "entities"),
    (re.compile(r"instances(?:/(?P<instance_id>[^/]+))?(?:/(?P<operation>[^/]+))?"), "instances"),
    (re.compile(r"instances/(?P<instance_id>[^/]+)/raiseEvent/(?P<event>[^/]+)"), "raise_event"),
]


class DurableApi:
    def __init__(self, engine: Engine, key: str, hub: str, base_url: str) -> None:
        self.engine = engine
        self.key = key
        self.hub = hub
        self.base_url = base_url.rstrip("/")

    # the client binding

    def management_urls(self, instance_id: str = "INSTANCEID", origin: str | None = None) -> dict[str, str]:
        """The HttpManagementPayload: the instance id and its 8 management URLs."""
        instance = f"{origin or self.base_url}{WEBHOOK_PREFIX}instances/{quote(instance_id, safe='')}"
        query = f"taskHub={quote(self.hub)}&connection=Storage&code={self.key}"
        return {
            "id": instance_id,
            "statusQueryGetUri": f"{instance}?{query}",
            "sendEventPostUri": f"{instance}/raiseEvent/{{eventName}}?{query}",
            "terminatePostUri": f"{instance}/terminate?reason={{text}}&{query}",
            "rewindPostUri": f"{instance}/rewind?reason={{text}}&{query}",
            "purgeHistoryDeleteUri": f"{instance}?{query}",
            "restartPostUri": f"{instance}/restart?{query}",
            "suspendPostUri": f"{instance}/suspend?reason={{text}}&{query}",
            "resumePostUri": f"{instance}/resume?reason={{text}}&{query}",
        }

    def client_json(self) -> str:
        """What a `durable_client_input` parameter receives (DurableOrchestrationBindings)."""
        webhooks = f"{self.base_url}{WEBHOOK_PREFIX}"
        creation = f"{webhooks}orchestrators/{{functionName}}[/{{instanceId}}]?code={self.key}"
        return json.dumps(
            {
                "taskHubName": self.hub,
                "creationUrls": {"createNewInstancePostUri": creation},
                "managementUrls": self.management_urls(),
                "baseUrl": webhooks.rstrip("/"),
                "requiredQueryStringParameters": f"code={self.key}",
                "rpcBaseUrl": f"{self.base_url}{RPC_PREFIX}",
                "httpBaseUrl": webhooks,
                "maxGrpcMessageSizeInBytes": 0,
                "grpcHttpClientTimeout": "00:01:40",
            }
        )

    def check_status_response(self, request: web.Request, instance_id: str) -> web.Response:
        """`CreateCheckStatusResponse`: 202, the management URLs (rewind aside), Location and Retry-After."""
        urls = self.management_urls(instance_id, origin=f"{request.url.scheme}://{request.url.raw_authority}")
        urls.pop("rewindPostUri")
        headers = {"Location": urls["statusQueryGetUri"], "Retry-After": _START_RETRY_AFTER}
        return web.json_response(urls, status=202, headers=headers)

    # routing

    def routes(self) -> list[web.RouteDef]:
        return [
            web.route("*", prefix + "{tail:.*}", self._guard(prefix == RPC_PREFIX))
            for prefix in (RPC_PREFIX, WEBHOOK_PREFIX)
        ]

    def _guard(self, loopback_only: bool) -> Handler:
        async def guarded(request: web.Request) -> web.StreamResponse:
            if loopback_only:
                if not ipaddress.ip_address(request.remote or "0.0.0.0").is_loopback:
                    return _error(403, "the RPC endpoint is local only")
            elif not is_authorized(self.key, request.headers, request.query):
                return _error(401, "a valid function key is required")
            try:
                return await self._dispatch(request)
            except DurableError as exc:
                if exc.message is None:
                    return _empty(exc.status)
                return _error(exc.status, exc.message, str(exc))

        return guarded

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["tail"].strip("/")
        for pattern, kind in _PATTERNS:
            match = pattern.fullmatch(path)
            if match is None:
                continue
            parts = {key: value for key, value in match.groupdict().items() if value is not None}
            handler = self._handler(kind, request.method, parts)
            return await handler(request, parts) if handler else _empty(404)
        return _empty(404)

    def _handler(self, kind: str, method: str, parts: dict[str, str]) -> Route | None:
        """The handler for a matched route and method, as HttpApiHandler.HandleRequestAsync picks it."""
        if kind == "orchestrators":
            return self.start if method == "POST" else None
        if kind == "raise_event":
            return self.raise_event if method == "POST" else None
        if kind == "entities":
            if method == "GET":
                return self.get_entity if parts.get("key") else self.list_entities
            return self.signal_entity if method in ("POST", "DELETE") and "name" in parts else None
        instance, operation = parts.get("instance_id"), parts.get("operation")
        if instance is None:
            return {"GET": self.query, "DELETE": self.purge_by}.get(method)
        if operation is None:
            return {"GET": self.status, "DELETE": self.purge}.get(method)
        operations: dict[str, Route] = {
            "terminate": self._with_reason(self.engine.terminate),
            "rewind": self._with_reason(self.engine.rewind),
            "suspend": self._with_reason(self.engine.suspend),
            "resume": self._with_reason(self.engine.resume),
            "restart": self.restart,
        }
        return operations.get(operation.lower()) if method == "POST" else None

    @staticmethod
    def _with_reason(operation: Callable[[str, str | None], None]) -> Route:
        """terminate, rewind, suspend, resume: `?reason=`, 202 with no body once accepted."""

        async def handle(request: web.Request, parts: dict[str, str]) -> web.StreamResponse:
            operation(parts["instance_id"], request.query.get("reason"))
            return _empty(202)

        return handle

    # orchestrations

    async def start(self, request: web.Request, parts: dict[str, str]) -> web.StreamResponse:
        try:
            data = input_json(await request.text())
        except ValueError as exc:
            return _error(400, "Invalid JSON content", str(exc))
        instance_id = self.engine.start(
            parts["name"], parts.get("instance_id"), data, request.query.get("version")
        )
        return await self._started(request, instance_id)

    async def _started(self, request: web.Request, instance_id: str) -> web.StreamResponse:
        """The check-status 202, or with `timeout` and `pollingInterval` (seconds) the output once done."""
        timeout, interval = request.query.get("timeout"), request.query.get("pollingInterval")
        if timeout is None or interval is None:
            return self.check_status_response(request, instance_id)
        deadline = asyncio.get_running_loop().time() + float(timeout)
        while True:
            instance = self.engine.store.instance(instance_id)
            if instance is not None and instance.status == "Completed":
                return web.Response(
                    status=200, text=instance.output or "null", content_type="application/json"
                )
            if instance is not None and instance.is_terminal:
                return self._status_response(request, instance_id, internal_error_on_failure=False)
            if asyncio.get_running_loop().time() >= deadline:
                return self.check_status_response(request, instance_id)
            await asyncio.sleep(float(interval))

    async def status(self, request: web.Request, parts: dict[str, str]) -> web.StreamResponse:
        return self._status_response(
            request, parts["instance_id"], _flag(request, "returnInternalServerErrorOnFailure")
        )

    def _status_response(
        self, request: web.Request, instance_id: str, internal_error_on_failure: bool
    ) -> web.Response:
        instance = self.engine.store.instance(instance_id)
        if instance is None:
            return _empty(404)
        history = self.engine.store.history(instance_id) if _flag(request, "showHistory") else None
        body = status_json(
            instance,
            history,
            show_input=_flag(request, "showInput", True),
            show_history_output=_flag(request, "showHistoryOutput"),
        )
        if instance.status in _IN_PROGRESS:
            headers = {"Location": str(request.url), "Retry-After": _STATUS_RETRY_AFTER}
            return web.json_response(body, status=202, headers=headers)
        failed = instance.status == "Failed" and internal_error_on_failure
        return web.json_response(body, status=500 if failed else 200)

    async def query(self, request: web.Request, parts: dict[str, str]) -> web.StreamResponse:
        offset = int(request.headers.get(CONTINUATION_HEADER) or 0)
        top = _int(request, "top", _DEFAULT_PAGE)
        query = InstanceQuery(
            _statuses(request),
            _time(request, "createdTimeFrom"),
            _time(request, "createdTimeTo"),
            request.query.get("instanceIdPrefix") or None,
        )
        found = self.engine.store.query(query, offset, top + 1)
        headers = {CONTINUATION_HEADER: str(offset + top)} if len(found) > top else {}
        show_input = _flag(request, "showInput", True)
        return web.json_response(
            [status_json(item, show_input=show_input) for item in found[:top]], headers=headers
        )

    async def purge(self, request: web.Request, parts: dict[str, str]) -> web.StreamResponse:
        if not self.engine.purge(parts["instance_id"]):
            return _empty(404)
        return web.json_response({"instancesDeleted": 1})

    async def purge_by(self, request: web.Request, parts: dict[str, str]) -> web.StreamResponse:
        created_from = _time(request, "createdTimeFrom")
        if created_from is None:
            return web.json_response("Please provide value for 'createdTimeFrom' parameter.", status=400)
        query = InstanceQuery(
            _statuses(request),
            created_from,
            _time(request, "createdTimeTo") or format_time(datetime.now(UTC)),
        )
        found = self.engine.store.query(query, 0, 1_000_000)
        deleted = sum(self.engine.purge(item.instance_id) for item in found)
        return web.json_response({"instancesDeleted": deleted}) if deleted else _empty(404)

    async def raise_event(self, request: web.Request, parts: dict[str, str]) -> web.StreamResponse:
        instance = self.engine.store.instance(parts["instance_id"])
        if instance is None:
            return _empty(404)
        if instance.status in _GONE_FOR_EVENTS:
            return _empty(410)
        if request.content_type.lower() != "application/json":
            return _error(400, "Only application/json request content is supported")
        try:
            data = input_json(await request.text())
        except ValueError as exc:
            return _error(400, "Invalid JSON content", str(exc))
        self.engine.raise_event(parts["instance_id"], parts["event"], data)
        return _empty(202)

    async def restart(self, request: web.Request, parts: dict[str, str]) -> web.StreamResponse:
        instance_id = self.engine.restart(
            parts["instance_id"], _flag(request, "restartWithNewInstanceId", True)
        )
        return await self._started(request, instance_id)

    # entities

    async def get_entity(self, request: web.Request, parts: dict[str, str]) -> web.StreamResponse:
        key = "" if parts["key"] == "$" else parts["key"]
        row = self.engine.store.entity(entity_id(parts["name"], key))
        if row is None:
            return _empty(404)
        return web.Response(status=200, text=row.state or "null", content_type="application/json")

    async def list_entities(self, request: web.Request, parts: dict[str, str]) -> web.StreamResponse:
        offset = int(request.headers.get(CONTINUATION_HEADER) or 0)
        top = _int(request, "top", _DEFAULT_PAGE)
        rows = self.engine.store.entities(parts.get("name"), offset, top + 1)
        headers = {CONTINUATION_HEADER: str(offset + top)} if len(rows) > top else {}
        fetch_state = _flag(request, "fetchState")
        return web.json_response([_entity_json(row, fetch_state) for row in rows[:top]], headers=headers)

    async def signal_entity(self, request: web.Request, parts: dict[str, str]) -> web.StreamResponse:
        if "key" not in parts:
            return _error(400, "The entity key is missing")
        operation = "delete" if request.method == "DELETE" else request.query.get("op", "")
        text = await request.text()
        data: str | None = None
        if text and request.content_type.lower() == "application/json":
            try:
                data = input_json(text)
            except ValueError as exc:
                return _error(400, f"Could not parse JSON content: {exc}")
        elif text:
            data = json.dumps(text)
        key = "" if parts["key"] == "$" else parts["key"]
        self.engine.signal_entity(entity_id(parts["name"], key), operation, data)
        return _empty(202)


def _entity_json(row: EntityRow, fetch_state: bool) -> dict[str, Any]:
    """One entry of the entity list: id, last operation time and, when asked for, the state."""
    item: dict[str, Any] = {
        "entityId": {"key": row.key, "name": row.name},
        "lastOperationTime": api_time(row.last_operation_time),
    }
    if fetch_state:
        item["state"] = json.loads(row.state) if row.state else None
    return item
