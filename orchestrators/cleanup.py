"""Finishing a run attempt that ended without ending well: terminated or purged through the Durable
management API, crashed, or ended without its report.

The reconciler starts one cleanup per attempt (`ft-<run>:cleanup:<attempt>`, so a second
reconciler pass never starts a second one). It releases what the attempt left running, found
through Azure by the attempt's run key, and writes the report the attempt never wrote.
"""

from __future__ import annotations

from typing import Literal

import azure.durable_functions as df

from orchestrators.run_state import Steps, iso, orchestrator, schedule, unwrap
from tuning.handles import RELEASE_RESOURCES, WRITE_REPORT
from tuning.paths import report_folder
from tuning.payloads import Payload, ReleaseInput
from tuning.reports.model import ErrorRecord, JobRecord, ReportInput, RunReport, StageRecord

__all__ = ["CLEANUP", "CleanupRequest", "blueprint", "cleanup_instance_id"]

blueprint = df.Blueprint()
CLEANUP = "finish_abandoned_run"


def cleanup_instance_id(run_instance_id: str, attempt: str) -> str:
    return f"{run_instance_id}:cleanup:{attempt}"


class CleanupRequest(Payload):
    """What the reconciler knows of the attempt: its last custom status, and why it is abandoned."""

    run: str
    instance_id: str
    attempt: str
    source: Literal["blob", "http"]
    reason: str
    stage: str | None = None
    job_id: str | None = None
    started: str
    succeeded: bool = False
    report_missing: bool = True


@orchestrator(blueprint)
def finish_abandoned_run(context: df.DurableOrchestrationContext) -> Steps:
    request = CleanupRequest.model_validate(context.get_input(expected_type=dict))
    run_key = f"{request.instance_id}/{request.attempt}"
    release = ReleaseInput(run_key=run_key, keep_production=request.succeeded)
    released = unwrap(RELEASE_RESOURCES, (yield schedule(context, RELEASE_RESOURCES, release)))
    if not request.report_missing:
        return released.dump()
    now = iso(context)
    report = RunReport(
        run=request.run,
        instance_id=request.instance_id,
        attempt=request.attempt,
        source=request.source,
        status="succeeded" if request.succeeded else "cancelled",
        started=request.started,
        finished=now,
        report_folder=report_folder(request.run, request.attempt),
        stages=[
            StageRecord(
                name=request.stage or "unknown", status="cancelled", started=request.started, finished=now
            )
        ],
        errors=[]
        if request.succeeded
        else [ErrorRecord(stage=request.stage or "unknown", code="run_terminated", message=request.reason)],
        job=JobRecord(
            id=request.job_id, status="cancelled" if request.job_id in released.cancelled_jobs else None
        )
        if request.job_id
        else None,
        cleanup=[f"cancelled fine-tuning job {job}" for job in released.cancelled_jobs]
        + [f"deleted deployment {name}" for name in released.deleted_deployments]
        + [f"restored deployment {name} to {model}" for name, model in released.restored_deployments.items()],
    )
    unwrap(WRITE_REPORT, (yield schedule(context, WRITE_REPORT, ReportInput(report=report))))
    return released.dump()
