"""Starting runs and telling whether one is already going: shared by the blob trigger and the API."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df
from azure.durable_functions.models.OrchestrationRuntimeStatus import OrchestrationRuntimeStatus

from orchestrators.pipeline import PIPELINE
from tuning.paths import check_run_name
from tuning.payloads import RunRequest

ACTIVE = {
    OrchestrationRuntimeStatus.Pending,
    OrchestrationRuntimeStatus.Running,
    OrchestrationRuntimeStatus.ContinuedAsNew,
}
INSTANCE_PREFIX = "ft-"


def instance_id(run: str) -> str:
    """Derived, never random: a duplicate event for the same run lands on the same instance."""
    return f"{INSTANCE_PREFIX}{check_run_name(run)}"


def run_name(identifier: str) -> str:
    """Accept either the run name or its instance id in routes."""
    run = identifier[len(INSTANCE_PREFIX) :] if identifier.startswith(INSTANCE_PREFIX) else identifier
    return check_run_name(run)


async def current_status(
    client: df.DurableOrchestrationClient, instance: str
) -> df.DurableOrchestrationStatus | None:
    status = await client.get_status(instance, show_input=True)
    if status is None or not status.instance_id or status.runtime_status is None:
        return None
    return status


def is_active(status: df.DurableOrchestrationStatus | None) -> bool:
    return status is not None and status.runtime_status in ACTIVE


async def start_run(client: df.DurableOrchestrationClient, request: RunRequest) -> str:
    return await client.start_new(PIPELINE, instance_id(request.run), request.dump())


def describe(status: df.DurableOrchestrationStatus) -> dict[str, Any]:
    """A run as the API shows it: stage, job, progress, errors, report links; no secrets."""
    custom = status.custom_status if isinstance(status.custom_status, dict) else {}
    output = status.output if isinstance(status.output, dict) else {}
    return {
        "id": status.instance_id,
        "run": status.instance_id[len(INSTANCE_PREFIX) :],
        "runtime_status": status.runtime_status.value if status.runtime_status else None,
        "stage": custom.get("stage"),
        "job": custom.get("job"),
        "progress": custom.get("progress"),
        "updated": custom.get("updated"),
        "created": _iso(status.created_time),
        "last_updated": _iso(status.last_updated_time),
        "result": output.get("status"),
        "errors": output.get("errors") or [],
        "report": output.get("artifacts"),
    }


def _iso(value) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None
