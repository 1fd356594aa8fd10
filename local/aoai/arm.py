"""Azure Resource Manager: a Cognitive Services account's deployments.

Deployments live under their own subscription / resource group / account: an account sees
only its own, and a returned `id` is the URL the request named. PUT, PATCH and DELETE answer
as ARM long-running operations (`Azure-AsyncOperation`, `Location` and `Retry-After`, in whole
seconds), which is what azure-mgmt-core's ARMPolling follows; `provisioningState` takes only
the spec's values (`Creating`, `Accepted` while an update provisions, `Deleting`, `Succeeded`).
A PUT is checked against the model catalog the way real ARM checks it: an unknown model or
version is `DeploymentModelNotSupported`, a SKU the model cannot be deployed on (DeveloperTier
for a base model) `InvalidResourceProperties`, and the account's deployment limits
`InsufficientQuota`.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from local.aoai import catalog
from local.aoai.context import Emulator, emulator
from local.aoai.errors import ApiError, Kind, require
from local.aoai.job_views import deployable
from local.aoai.routes import Route
from local.aoai.state import DeploymentRecord, OperationRecord, deployment_key, new_id, now

__all__ = ["ROUTES", "advance"]

ACCOUNT = (
    "/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.CognitiveServices"
    "/accounts/{account}"
)
LOCATION = "/subscriptions/{subscription}/providers/Microsoft.CognitiveServices/locations/{location}"
DEPLOYMENT = ACCOUNT + "/deployments/{deployment}"
REGION = "local"
IN_PROGRESS = ("Creating", "Accepted")


@dataclass(frozen=True)
class Target:
    """What a deployment request resolved to: model, version, kind and the SKUs it may be deployed on."""

    model: str
    version: str
    kind: str
    skus: frozenset[str]
    job_id: str | None = None
    step: int | None = None


def _iso(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat().replace("+00:00", "Z")


def _arm_error(code: str, message: str, status: int = 400, kind: Kind = Kind.INVALID) -> ApiError:
    return ApiError(kind, message, code=code, status=status)


def advance(emu: Emulator, at: float) -> None:
    for key, deployment in list(emu.store.deployments.items()):
        if deployment.gone_at is not None and at >= deployment.gone_at:
            del emu.store.deployments[key]
            emu.changed()
        elif deployment.provisioning_state in IN_PROGRESS and at >= deployment.ready_at:
            deployment.provisioning_state = "Succeeded"
            emu.changed()


def to_api(deployment: DeploymentRecord, resource_id: str | None = None) -> dict[str, Any]:
    return {
        "id": resource_id or f"{deployment.scope}/deployments/{deployment.name}",
        "name": deployment.name,
        "type": "Microsoft.CognitiveServices/accounts/deployments",
        "sku": {"name": deployment.sku_name, "capacity": deployment.sku_capacity},
        **({"tags": deployment.tags} if deployment.tags is not None else {}),
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
            "lastModifiedAt": _iso(deployment.modified_at or deployment.created_at),
            "lastModifiedBy": "emulator",
            "lastModifiedByType": "User",
        },
    }


def _retry_after(seconds: float) -> dict[str, str]:
    """ARM's poll hint: whole seconds, at least one."""
    return {"Retry-After": str(max(1, math.ceil(seconds)))}


def _operation_headers(request: web.Request, operation: OperationRecord) -> dict[str, str]:
    subscription, version = request.match_info["subscription"], request.query["api-version"]
    base = f"{request.scheme}://{request.host}" + LOCATION.format(subscription=subscription, location=REGION)
    return {
        "Azure-AsyncOperation": f"{base}/operationStatuses/{operation.id}?api-version={version}",
        "Location": f"{base}/operationResults/{operation.id}?api-version={version}",
        **_retry_after(operation.done_at - now()),
    }


def _start_operation(
    emu: Emulator, kind: str, deployment: DeploymentRecord, done_at: float
) -> OperationRecord:
    operation = OperationRecord(new_id(""), kind, deployment.key, now(), done_at)
    emu.store.operations[operation.id] = operation
    return operation


def _fine_tuned_skus(job_model: str) -> frozenset[str]:
    base = catalog.base_for_fine_tuning(job_model.partition(".ft-")[0])
    return base.fine_tuning.deployment_skus if base and base.fine_tuning else frozenset()


def _skus_of(emu: Emulator, deployment: DeploymentRecord) -> frozenset[str]:
    job = emu.store.jobs.get(deployment.job_id or "")
    if job is not None:
        return _fine_tuned_skus(job.fine_tuned_model_name)
    base = catalog.base_for_deployment(deployment.model, deployment.model_version)
    return base.deployment_skus if base else frozenset()


def _target(emu: Emulator, model: dict[str, Any]) -> Target:
    name, version = model["name"], model.get("version")
    base = catalog.base_for_deployment(name, version)
    if base is not None:
        return Target(name, base.version, "base", base.deployment_skus)
    produced = deployable(emu, name, now())
    if produced is not None and version in (None, "1"):
        job, step = produced
        return Target(name, "1", "fine-tuned", _fine_tuned_skus(job.fine_tuned_model_name), job.id, step)
    raise _arm_error(
        "DeploymentModelNotSupported",
        f"The model 'Format:{model.get('format')}, Name:{name}, Version:{version}' of account deployment "
        "is not supported.",
    )


def _check_sku(target: Target, sku: Any) -> tuple[str, int]:
    name = catalog.canonical_sku(str(sku.get("name", ""))) if isinstance(sku, dict) else None
    if name is None or name not in target.skus:
        given = sku.get("name") if isinstance(sku, dict) else sku
        raise _arm_error(
            "InvalidResourceProperties",
            f"The specified SKU '{given}' for model '{target.model} {target.version}' is not supported in "
            f"this region '{REGION}'. Supported: {', '.join(sorted(target.skus))}.",
        )
    capacity = sku.get("capacity", 1)
    if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
        raise _arm_error(
            "InvalidResourceProperties",
            f"The SKU capacity must be an integer of at least 1, not {capacity!r}.",
        )
    return name, capacity


def _check_body(emu: Emulator, body: Any) -> tuple[Target, str, int]:
    """The target, SKU name and capacity of a PUT body, or ARM's 400."""
    if not isinstance(body, dict) or not isinstance(body.get("properties"), dict):
        raise _arm_error(
            "InvalidRequestContent", "The request content must be a deployment with 'properties'."
        )
    model = body["properties"].get("model")
    if not isinstance(model, dict) or not isinstance(model.get("name"), str):
        raise _arm_error("InvalidResourceProperties", "properties.model.name is required.")
    if model.get("format") != "OpenAI":
        # Format strings are case-sensitive (Microsoft's deployment reference); OpenAI models take "OpenAI".
        raise _arm_error(
            "InvalidResourceProperties",
            f"The model format {model.get('format')!r} is not supported; use 'OpenAI'.",
        )
    target = _target(emu, model)
    return (target, *_check_sku(target, body.get("sku")))


def _check_quota(emu: Emulator, scope: str, target: Target) -> None:
    # A deployment being deleted still counts until it is gone, as on Azure.
    live = [d for d in emu.store.deployments.values() if d.scope.lower() == scope.lower()]
    limit = emu.settings.max_deployments
    if len(live) >= limit:
        raise _arm_error(
            "InsufficientQuota", f"This operation would exceed the limit of {limit} deployments per resource."
        )
    limit = emu.settings.max_fine_tuned_deployments
    if target.kind == "fine-tuned" and sum(d.kind == "fine-tuned" for d in live) >= limit:
        raise _arm_error(
            "InsufficientQuota",
            f"This operation would exceed the limit of {limit} fine-tuned model deployments per resource.",
        )


def _scope(request: web.Request) -> str:
    return ACCOUNT.format(**{k: request.match_info[k] for k in ("subscription", "group", "account")})


def _live(emu: Emulator, request: web.Request) -> DeploymentRecord | None:
    deployment = emu.store.deployments.get(deployment_key(_scope(request), request.match_info["deployment"]))
    return deployment if deployment is not None and deployment.gone_at is None else None


def _found(emu: Emulator, request: web.Request) -> DeploymentRecord:
    name = request.match_info["deployment"]
    return require(
        _live(emu, request),
        _arm_error("DeploymentNotFound", f"The deployment '{name}' does not exist.", 404, Kind.NOT_FOUND),
    )


async def _body(request: web.Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        raise _arm_error("InvalidRequestContent", "The request content is not valid JSON.") from None


async def put_deployment(request: web.Request) -> web.Response:
    emu, scope = emulator(request), _scope(request)
    body = await _body(request)
    target, sku_name, capacity = _check_body(emu, body)
    existing = _live(emu, request)
    if existing is None:
        _check_quota(emu, scope, target)
    at = now()
    ready_at = at + emu.settings.deploy_seconds
    deployment = DeploymentRecord(
        name=existing.name if existing else request.match_info["deployment"],
        scope=existing.scope if existing else scope,
        model=target.model,
        model_format="OpenAI",
        model_version=target.version,
        sku_name=sku_name,
        sku_capacity=capacity,
        properties={k: v for k, v in body["properties"].items() if k not in {"model", "provisioningState"}},
        created_at=existing.created_at if existing else at,
        modified_at=at,
        ready_at=ready_at,
        # An update keeps serving; a new deployment answers DeploymentNotReady for the configured window.
        not_ready_until=existing.not_ready_until
        if existing
        else ready_at + emu.faults.deployment_not_ready_seconds,
        kind=target.kind,
        job_id=target.job_id,
        step=target.step,
        tags=body.get("tags") if isinstance(body.get("tags"), dict) else None,
        provisioning_state="Accepted" if existing else "Creating",
    )
    emu.store.deployments[deployment.key] = deployment
    operation = _start_operation(emu, "create", deployment, ready_at)
    return web.json_response(
        to_api(deployment, request.path),
        status=200 if existing else 201,
        headers=_operation_headers(request, operation),
    )


async def patch_deployment(request: web.Request) -> web.Response:
    """Deployments_Update: tags at once (200); a SKU change provisions again (202, then the Location poll)."""
    emu = emulator(request)
    deployment = _found(emu, request)
    body = await _body(request)
    if not isinstance(body, dict):
        raise _arm_error(
            "InvalidRequestContent", "The request content must be an object with 'sku' or 'tags'."
        )
    tags = body.get("tags")
    if tags is not None and not (isinstance(tags, dict) and all(isinstance(v, str) for v in tags.values())):
        raise _arm_error("InvalidRequestContent", "'tags' must map names to strings.")
    sku = None
    if body.get("sku") is not None:
        target = Target(
            deployment.model, deployment.model_version, deployment.kind, _skus_of(emu, deployment)
        )
        sku = _check_sku(target, body["sku"])
    deployment.tags = tags if tags is not None else deployment.tags
    deployment.modified_at = now()
    if sku is None:
        return web.json_response(to_api(deployment, request.path))
    deployment.sku_name, deployment.sku_capacity = sku
    deployment.provisioning_state = "Accepted"
    deployment.ready_at = now() + emu.settings.deploy_seconds
    operation = _start_operation(emu, "update", deployment, deployment.ready_at)
    return web.Response(status=202, headers=_operation_headers(request, operation))


async def get_deployment(request: web.Request) -> web.Response:
    return web.json_response(to_api(_found(emulator(request), request), request.path))


async def list_deployments(request: web.Request) -> web.Response:
    scope = _scope(request).lower()
    found = [d for d in emulator(request).store.deployments.values() if d.scope.lower() == scope]
    return web.json_response({"value": [to_api(d) for d in found]})


async def delete_deployment(request: web.Request) -> web.Response:
    emu = emulator(request)
    deployment = _live(emu, request)
    if deployment is None:
        return web.Response(status=204)
    deployment.provisioning_state = "Deleting"
    deployment.gone_at = now() + emu.settings.delete_seconds
    operation = _start_operation(emu, "delete", deployment, deployment.gone_at)
    return web.Response(status=202, headers=_operation_headers(request, operation))


def _operation(emu: Emulator, operation_id: str) -> OperationRecord:
    return require(
        emu.store.operations.get(operation_id),
        _arm_error(
            "OperationNotFound", f"The operation '{operation_id}' was not found.", 404, Kind.NOT_FOUND
        ),
    )


async def operation_status(request: web.Request) -> web.Response:
    """The Azure-AsyncOperation monitor (common-types OperationStatusResult): InProgress, then Succeeded."""
    operation = _operation(emulator(request), request.match_info["operation"])
    done = now() >= operation.done_at
    body = {
        "id": request.path,
        "name": operation.id,
        "status": "Succeeded" if done else "InProgress",
        "startTime": _iso(operation.started_at),
    }
    if done:
        body["endTime"] = _iso(operation.done_at)
    return web.json_response(body, headers={} if done else _retry_after(operation.done_at - now()))


async def operation_result(request: web.Request) -> web.Response:
    """The Location monitor: 202 while running, then the deployment (create, update) or 204 (delete)."""
    emu = emulator(request)
    operation = _operation(emu, request.match_info["operation"])
    if now() < operation.done_at:
        return web.Response(
            status=202, headers={"Location": str(request.url), **_retry_after(operation.done_at - now())}
        )
    deployment = emu.store.deployments.get(operation.deployment)
    if operation.kind == "delete" or deployment is None:
        return web.Response(status=204)
    return web.json_response(to_api(deployment))


ROUTES = [
    Route("GET", ACCOUNT + "/deployments", list_deployments, arm="Deployments_List"),
    Route("PUT", DEPLOYMENT, put_deployment, arm="Deployments_CreateOrUpdate"),
    Route("PATCH", DEPLOYMENT, patch_deployment, arm="Deployments_Update"),
    Route("GET", DEPLOYMENT, get_deployment, arm="Deployments_Get"),
    Route("DELETE", DEPLOYMENT, delete_deployment, arm="Deployments_Delete"),
    # ARM's asynchronous-operation protocol: no operationId in the spec; the contract tests check
    # these against common-types' OperationStatusResult and the resource's own schema.
    Route("GET", LOCATION + "/operationStatuses/{operation}", operation_status, arm="AsyncOperation_Status"),
    Route("GET", LOCATION + "/operationResults/{operation}", operation_result, arm="AsyncOperation_Result"),
]
