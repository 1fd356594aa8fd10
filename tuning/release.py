"""Releasing what a run attempt started, found through Azure itself rather than through the run's
own records: the jobs carrying its run key, the deployments carrying its tags.

Used by every run as it ends (a cancel during submission, whose answer the run never saw, still
leaves a job to find), and by the reconciler for runs that ended without ending well (terminated,
purged, crashed). Every action is idempotent: a second release finds nothing left to do.
"""

from __future__ import annotations

from tuning.clients import Clients
from tuning.fine_tuning import control_job, job_status, jobs_of_run
from tuning.payloads import DeployInput, ReleaseInput, ReleaseResult

__all__ = ["release_resources"]


def release_resources(clients: Clients, request: ReleaseInput) -> ReleaseResult:
    cancelled = []
    for job_id in jobs_of_run(clients.openai, request.run_key, clients.settings.openai_api_style):
        if not job_status(clients.openai, job_id).finished:
            control_job(clients.openai, job_id, "cancel")
            cancelled.append(job_id)
    deleted: list[str] = []
    restored: dict[str, str] = {}
    target = clients.deployments
    for deployment in target.managed():
        if deployment.run_key != request.run_key:
            continue
        if deployment.role == "production" and request.keep_production:
            continue
        if deployment.role == "production" and deployment.replaces:
            target.deploy(
                DeployInput(
                    name=deployment.name,
                    model=deployment.replaces,
                    sku=deployment.sku or "Standard",
                    capacity=deployment.capacity or 1,
                    run_key=request.run_key,
                    role="production",
                )
            )
            restored[deployment.name] = deployment.replaces
        else:
            target.delete(deployment.name)
            deleted.append(deployment.name)
    return ReleaseResult(cancelled_jobs=cancelled, deleted_deployments=deleted, restored_deployments=restored)
