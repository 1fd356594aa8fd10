"""The reconciler: every few minutes (`FT_RECONCILE_SCHEDULE`), find run attempts that ended
without ending well, and start a cleanup for each.

A run normally releases what it started and writes its report itself. It cannot when it was
terminated or purged through the Durable management API, when its orchestrator crashed, or when
writing the report kept failing. So the reconciler looks from both sides:
- the task hub: runs Terminated or Failed, and runs Completed without a report blob;
- Azure: unfinished fine-tuning jobs and evaluation deployments carrying a run key whose attempt
  is not the one running now (which also finds purged runs, whose history is gone).
Each finding starts `ft-<run>:cleanup:<attempt>` at most once (a derived instance id).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import azure.durable_functions as df
import azure.functions as func
from azure.durable_functions.models.OrchestrationRuntimeStatus import OrchestrationRuntimeStatus

from orchestrators.cleanup import CLEANUP, CleanupRequest, cleanup_instance_id
from orchestrators.pipeline import PIPELINE
from triggers.runs import INSTANCE_PREFIX, is_active
from tuning.clients import Clients, shared_clients
from tuning.fine_tuning import recent_run_jobs
from tuning.paths import report_folder

__all__ = ["Abandoned", "blueprint", "find_abandoned", "reconcile"]

blueprint = df.Blueprint()
log = logging.getLogger("triggers.reconciler")
ENDED_BADLY = {OrchestrationRuntimeStatus.Terminated, OrchestrationRuntimeStatus.Failed}
RESTARTABLE = {OrchestrationRuntimeStatus.Terminated, OrchestrationRuntimeStatus.Failed}
RECHECK_COMPLETED = timedelta(days=7)


@dataclass(frozen=True)
class Abandoned:
    instance_id: str
    attempt: str
    reason: str


@blueprint.timer_trigger(arg_name="timer", schedule="%FT_RECONCILE_SCHEDULE%")
@blueprint.durable_client_input(client_name="client")
async def reconcile_runs(timer: func.TimerRequest, client: df.DurableOrchestrationClient) -> None:
    started = await reconcile(client, shared_clients())
    if started:
        log.warning("reconciler: started %d cleanup(s): %s", len(started), ", ".join(started))


async def reconcile(client: df.DurableOrchestrationClient, clients: Clients) -> list[str]:
    """Start a cleanup for every abandoned attempt; return the cleanups started."""
    statuses = {s.instance_id: s for s in await client.get_status_all() if s.name == PIPELINE}
    started = []
    for found in await find_abandoned(statuses, clients):
        cleanup = cleanup_instance_id(found.instance_id, found.attempt)
        previous = await client.get_status(cleanup)
        if (
            previous is not None
            and previous.runtime_status is not None
            and previous.runtime_status not in RESTARTABLE
        ):
            continue
        request = await cleanup_request(found, statuses.get(found.instance_id), clients)
        await client.start_new(CLEANUP, cleanup, request.dump())
        started.append(cleanup)
    return started


async def cleanup_request(
    found: Abandoned, status: df.DurableOrchestrationStatus | None, clients: Clients
) -> CleanupRequest:
    """What the cleanup needs, from the attempt's last status (nothing, when it was purged)."""
    custom = _dict(status.custom_status) if status is not None else {}
    output = _dict(status.output) if status is not None else {}
    given = _dict(status.input_) if status is not None else {}
    run = found.instance_id[len(INSTANCE_PREFIX) :]
    report = f"{report_folder(run, found.attempt)}report.json"
    return CleanupRequest(
        run=run,
        instance_id=found.instance_id,
        attempt=found.attempt,
        source="http" if given.get("source") == "http" else "blob",
        reason=found.reason,
        stage=custom.get("stage"),
        job_id=_dict(custom.get("job")).get("id"),
        started=_attempt_start(found.attempt),
        succeeded=output.get("status") == "succeeded",
        report_missing=not await asyncio.to_thread(clients.store.exists, report),
    )


async def find_abandoned(
    statuses: dict[str, df.DurableOrchestrationStatus], clients: Clients
) -> list[Abandoned]:
    found: dict[tuple[str, str], str] = {}
    running = {
        instance: _dict(s.custom_status).get("attempt") for instance, s in statuses.items() if is_active(s)
    }
    for instance, status in statuses.items():
        attempt = _dict(status.custom_status).get("attempt")
        if not attempt:
            continue
        if status.runtime_status in ENDED_BADLY:
            found[(instance, attempt)] = f"the orchestration ended {status.runtime_status.value}"
        elif status.runtime_status == OrchestrationRuntimeStatus.Completed and _recent(status):
            report = f"{report_folder(instance[len(INSTANCE_PREFIX) :], attempt)}report.json"
            if not await asyncio.to_thread(clients.store.exists, report):
                found[(instance, attempt)] = "the run ended without writing its report"
    since = (datetime.now(UTC) - RECHECK_COMPLETED).timestamp()
    jobs = await asyncio.to_thread(recent_run_jobs, clients.openai, since)
    deployments = await asyncio.to_thread(clients.deployments.managed)
    keys = [(job.run_key, f"fine-tuning job {job.id} is still running") for job in jobs if not job.finished]
    keys += [
        (d.run_key, f"evaluation deployment {d.name} is still deployed")
        for d in deployments
        if d.role == "evaluation" and d.run_key
    ]
    for key, what in keys:
        instance, _, attempt = key.partition("/")
        if running.get(instance) != attempt:
            found.setdefault((instance, attempt), f"{what} but its run attempt is not running")
    for job in jobs:  # a run purged after its job finished: no history, and no report either
        instance, _, attempt = job.run_key.partition("/")
        if job.finished and instance not in statuses and (instance, attempt) not in found:
            report = f"{report_folder(instance[len(INSTANCE_PREFIX) :], attempt)}report.json"
            if not await asyncio.to_thread(clients.store.exists, report):
                found[(instance, attempt)] = f"its run ended without a report (fine-tuning job {job.id})"
    return [Abandoned(instance, attempt, reason) for (instance, attempt), reason in found.items()]


def _recent(status: df.DurableOrchestrationStatus) -> bool:
    """Completed runs are checked for a report for a week; older ones were checked long since."""
    updated = status.last_updated_time
    return updated is None or datetime.now(UTC) - updated.astimezone(UTC) < RECHECK_COMPLETED


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _attempt_start(attempt: str) -> str:
    """20261128T211500Z -> 2026-11-28T21:15:00Z."""
    return f"{attempt[0:4]}-{attempt[4:6]}-{attempt[6:8]}T{attempt[9:11]}:{attempt[11:13]}:{attempt[13:15]}Z"
