"""Runs as the triggers see them: instance ids, starting, telling whether one is going, and what
the API shows of one. Shared by the blob trigger, the HTTP API and the reconciler.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import azure.durable_functions as df
from azure.durable_functions.models.OrchestrationRuntimeStatus import OrchestrationRuntimeStatus

from orchestrators.pipeline import PIPELINE
from tuning.paths import check_run_name
from tuning.payloads import RunRequest

__all__ = [
    "ACTIVE",
    "INSTANCE_PREFIX",
    "current_status",
    "describe",
    "instance_id",
    "is_active",
    "links",
    "seen_versions",
    "start_run",
]

ACTIVE = {
    OrchestrationRuntimeStatus.Pending,
    OrchestrationRuntimeStatus.Running,
    OrchestrationRuntimeStatus.ContinuedAsNew,
}
INSTANCE_PREFIX = "ft-"
RUN_ACTIONS = ("cancel", "approve", "pause", "resume", "rollback")


def instance_id(run: str) -> str:
    """Derived, never random: a duplicate event for the same run lands on the same instance.
    Routes take the run name only, so `/api/runs/ft-x` is the run named `ft-x`, never run `x`."""
    return f"{INSTANCE_PREFIX}{check_run_name(run)}"


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
    return str(await client.start_new(PIPELINE, instance_id(request.run), request.dump()))


def seen_versions(status: df.DurableOrchestrationStatus | None) -> dict[str, str]:
    """Path -> ETag of every run-folder blob the last attempt saw or pinned: an event for one of
    these versions is a duplicate, whatever any clock says."""
    if status is None:
        return {}
    seen: dict[str, str] = {}
    for part in (status.input_, status.custom_status, status.output):
        if isinstance(part, str):
            continue
        if isinstance(part, dict) and isinstance(part.get("seen"), dict):
            seen.update({str(k): str(v) for k, v in part["seen"].items()})
    return seen


def links(run: str, base_url: str | None) -> dict[str, str]:
    """This API's own URLs for a run, from the configured base URL (never the request's Host
    header), and never the Durable management URLs that carry the system key."""
    own = f"{base_url or ''}/api/runs/{run}"
    return {"self": own, **{action: f"{own}/{action}" for action in RUN_ACTIONS}}


def describe(status: df.DurableOrchestrationStatus, base_url: str | None) -> dict[str, Any]:
    """A run as the API shows it: stage, job, progress, errors, report links; no secrets."""
    custom = status.custom_status if isinstance(status.custom_status, dict) else {}
    output = status.output if isinstance(status.output, dict) else {}
    run = status.instance_id[len(INSTANCE_PREFIX) :]
    return {
        "id": status.instance_id,
        "run": run,
        "runtime_status": status.runtime_status.value if status.runtime_status else None,
        "result": output.get("status"),
        "stage": custom.get("stage"),
        "attempt": custom.get("attempt"),
        "job": custom.get("job"),
        "progress": custom.get("progress"),
        "cancel": custom.get("cancel"),
        "evaluation": custom.get("evaluation"),
        "updated": custom.get("updated"),
        "created": _iso(status.created_time),
        "last_updated": _iso(status.last_updated_time),
        "errors": output.get("errors") or [],
        "report": output.get("artifacts") or None,
        "links": links(run, base_url),
    }


def _iso(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None
