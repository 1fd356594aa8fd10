"""Azure Resource Manager: the Cognitive Services account's deployment routes.

PUT and DELETE answer as ARM long-running operations (Azure-AsyncOperation, Location and
Retry-After headers), which is what azure-mgmt-core's ARMPolling follows. The emulator is
one Azure OpenAI account: any subscription, resource group and account name in the path
address the same deployments, which the data plane's chat route serves.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web

from local.aoai.catalog import BASE_DEPLOYABLE, SKUS, canonical_sku
from local.aoai.context import Emulator, emulator
from local.aoai.errors import ApiError, require
from local.aoai.jobs import trained_models
from local.aoai.state import DeploymentRecord, OperationRecord, new_id, now

ACCOUNT = (
    "/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.CognitiveServices"
    "/accounts/{account}"
)
LOCATION = "/subscriptions/{subscription}/providers/Microsoft.CognitiveServices/locations/{location}"
REGION = "local"


def _iso(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat().replace("+00:00", "Z")


def advance(emu: Emulator, at: float) -> None:
    for deployment in emu.store.deployments.values():
        if deployment.provisioning_state != "Succeeded" and at >= deployment.ready_at:
            deployment.provisioning_state = "Succeeded"
            emu.changed()


def to_api(deployment: DeploymentRecord) -> dict[str, Any]:
    return {
        "id": f"{deployment.scope}/deployments/{deployment.name}",
        "name": deployment.name,
        "type": "Microsoft.CognitiveServices/accounts/deployments",
        "sku": {"name": deployment.sku_name, "capacity": deployment.sku_capacity},
        "properties": {
            **deployment.properties,
            "model": {
                "format": deployment.model_format,
                "name": deployment.model,
                "version": deployment.model_version,
            },
            "provisioningState": deployment.provisioning_state,
            "capabilities": {"chatCompletion": "true"},
            "rateLimits": [{"key": "request", "renewalPeriod": 10, "count": deployment.sku_capacity}],
        },
        "systemData": {
            "createdAt": _iso(deployment.created_at),
            "createdBy": "emulator",
            "createdByType": "User",
            "lastModifiedAt": _iso(deployment.created_at),
            "lastModifiedBy": "emulator",
            "lastModifiedByType": "User",
        },
    }


def _poll_hint(seconds: float) -> dict[str, str]:
    """Tell the poller when to look again: at most a second, so short lifecycles stay short."""
    if seconds >= 1:
        return {"Retry-After": "1"}
    return {"retry-after-ms": str(max(50, int(seconds * 1000)))}


def _operation_headers(request: web.Request, emu: Emulator, operation: OperationRecord) -> dict[str, str]:
    subscription, version = request.match_info["subscription"], request.query["api-version"]
    base = f"{request.scheme}://{request.host}" + LOCATION.format(subscription=subscription, location=REGION)
    return {
        "Azure-AsyncOperation": f"{base}/operationStatuses/{operation.id}?api-version={version}",
        "Location": f"{base}/operationResults/{operation.id}?api-version={version}",
        **_poll_hint(emu.settings.deploy_seconds),
    }


def _start_operation(emu: Emulator, kind: str, deployment: str, done_at: float) -> OperationRecord:
    operation = OperationRecord(new_id(""), kind, deployment, now(), done_at)
    emu.store.operations[operation.id] = operation
    return operation


def _check_deployment(emu: Emulator, body: Any) -> tuple[dict[str, Any], str, int]:
    """The model block, SKU name and capacity of a PUT body, or ARM's 400."""
    if not isinstance(body, dict) or not isinstance(body.get("properties"), dict):
        raise ApiError(
            400, "InvalidRequestContent", "The request content must be a deployment with 'properties'."
        )
    model = body["properties"].get("model")
    if not isinstance(model, dict) or not isinstance(model.get("name"), str):
        raise ApiError(400, "InvalidResourceProperties", "properties.model.name is required.")
    if str(model.get("format", "")).lower() != "openai":
        raise ApiError(
            400,
            "InvalidResourceProperties",
            f"The model format {model.get('format')!r} is not supported; use 'OpenAI'.",
        )
    if model["name"] not in BASE_DEPLOYABLE | trained_models(emu):
        raise ApiError(
            400,
            "DeploymentModelNotSupported",
            f"The model '{model['name']}' is not a base model or a fine-tuned model of this account.",
        )
    sku = body.get("sku")
    if not isinstance(sku, dict) or canonical_sku(str(sku.get("name", ""))) is None:
        raise ApiError(
            400, "InvalidSkuName", f"The SKU {sku!r} is not supported; use one of {', '.join(SKUS)}."
        )
    capacity = sku.get("capacity", 1)
    if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
        raise ApiError(
            400, "InvalidCapacity", f"The SKU capacity must be an integer of at least 1, not {capacity!r}."
        )
    return model, canonical_sku(sku["name"]), capacity


def _scope(request: web.Request) -> str:
    return ACCOUNT.format(**{k: request.match_info[k] for k in ("subscription", "group", "account")})


def _found(emu: Emulator, name: str) -> DeploymentRecord:
    return require(
        emu.store.deployments.get(name),
        ApiError(404, "DeploymentNotFound", f"The deployment '{name}' does not exist."),
    )


async def put_deployment(request: web.Request) -> web.Response:
    emu = emulator(request)
    name = request.match_info["deployment"]
    try:
        body = await request.json()
    except ValueError:
        raise ApiError(400, "InvalidRequestContent", "The request content is not valid JSON.") from None
    model, sku_name, capacity = _check_deployment(emu, body)
    created, existed = now(), name in emu.store.deployments
    ready_at = created + emu.settings.deploy_seconds
    extra = {k: v for k, v in body["properties"].items() if k not in {"model", "provisioningState"}}
    deployment = DeploymentRecord(
        name=name,
        scope=_scope(request),
        model=model["name"],
        model_format="OpenAI",
        model_version=str(model.get("version") or "1"),
        sku_name=sku_name,
        sku_capacity=capacity,
        properties=extra,
        created_at=created,
        ready_at=ready_at,
        not_ready_until=ready_at + emu.faults.deployment_not_ready_seconds,
        provisioning_state="Updating" if existed else "Creating",
    )
    emu.store.deployments[name] = deployment
    operation = _start_operation(emu, "create", name, ready_at)
    return web.json_response(
        to_api(deployment),
        status=200 if existed else 201,
        headers=_operation_headers(request, emu, operation),
    )


async def get_deployment(request: web.Request) -> web.Response:
    return web.json_response(to_api(_found(emulator(request), request.match_info["deployment"])))


async def list_deployments(request: web.Request) -> web.Response:
    return web.json_response({"value": [to_api(d) for d in emulator(request).store.deployments.values()]})


async def delete_deployment(request: web.Request) -> web.Response:
    emu = emulator(request)
    name = request.match_info["deployment"]
    if emu.store.deployments.pop(name, None) is None:
        return web.Response(status=204)
    operation = _start_operation(emu, "delete", name, now())
    return web.Response(status=202, headers=_operation_headers(request, emu, operation))


def _operation(emu: Emulator, operation_id: str) -> OperationRecord:
    return require(
        emu.store.operations.get(operation_id),
        ApiError(404, "OperationNotFound", f"The operation '{operation_id}' was not found."),
    )


async def operation_status(request: web.Request) -> web.Response:
    """The Azure-AsyncOperation monitor: {"status": InProgress|Succeeded, ...}."""
    emu = emulator(request)
    operation = _operation(emu, request.match_info["operation"])
    done = now() >= operation.done_at
    body = {
        "id": request.path,
        "name": operation.id,
        "status": "Succeeded" if done else "InProgress",
        "startTime": _iso(operation.started_at),
    }
    if done:
        body["endTime"] = _iso(operation.done_at)
    return web.json_response(body, headers={} if done else _poll_hint(emu.settings.deploy_seconds))


async def operation_result(request: web.Request) -> web.Response:
    """The Location monitor: 202 while running, then the deployment (create) or 204 (delete)."""
    emu = emulator(request)
    operation = _operation(emu, request.match_info["operation"])
    if now() < operation.done_at:
        return web.Response(
            status=202, headers={"Location": str(request.url), **_poll_hint(emu.settings.deploy_seconds)}
        )
    deployment = emu.store.deployments.get(operation.deployment)
    if operation.kind == "delete" or deployment is None:
        return web.Response(status=204)
    return web.json_response(to_api(deployment))


ROUTES = [
    web.get(ACCOUNT + "/deployments", list_deployments),
    web.put(ACCOUNT + "/deployments/{deployment}", put_deployment),
    web.get(ACCOUNT + "/deployments/{deployment}", get_deployment),
    web.delete(ACCOUNT + "/deployments/{deployment}", delete_deployment),
    web.get(LOCATION + "/operationStatuses/{operation}", operation_status),
    web.get(LOCATION + "/operationResults/{operation}", operation_result),
]
