"""Fine-tuning jobs: create, retrieve, list, cancel, pause, resume, delete, events, checkpoints.

A job's phase is derived on every request (timeline.py), so no background task is needed and
a restart loses nothing. It fails while validating files when the service would (fewer than
10 examples, a file that does not fit the method), or halfway through running when a failure
was injected (admin route). Pause is allowed only for a running job that trained at least
one step, as the service documents (fine-tuning-rest.md, "Pause and resume"); the pause
writes a deployable checkpoint. Delete (authoring spec only) takes a finished job.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from local.aoai import timeline, training
from local.aoai.context import Emulator, emulator
from local.aoai.datasets import inspect
from local.aoai.errors import conflict, missing, require
from local.aoai.files import add_file
from local.aoai.job_requests import parse_job, resolve_hyperparameters, validation_failure
from local.aoai.job_views import checkpoints, events, job_view
from local.aoai.protocol import cursor_page, json_body
from local.aoai.routes import Route
from local.aoai.state import ExampleSet, JobRecord, new_id, now
from local.aoai.surfaces import Surface, surface_of

__all__ = ["ROUTES", "advance"]

INJECTED_FAILURE_AT = 0.5
METADATA_FILTER = re.compile(r"^metadata\[(.+)\]$")


def _finish(emu: Emulator, job: JobRecord, status: str, at: float) -> None:
    job.status, job.finished_at = status, at
    if status == "succeeded":
        job.fine_tuned_model = job.fine_tuned_model_name
        job.trained_tokens = job.tokens_per_epoch * job.hyperparameters["n_epochs"]
        result = add_file(
            emu, "results.csv", "fine-tune-results", training.results_csv(job).encode(), ready_in=0.0
        )
        result.status = "processed"
        job.result_file = result.id
    elif status == "failed" and job.failure is not None:
        job.error = dict(job.failure)
    emu.changed()


def advance(emu: Emulator, at: float) -> None:
    for job in emu.store.jobs.values():
        if job.status in timeline.TERMINAL:
            continue
        if job.failure and at >= (failed_at := timeline.moment(job, job.fails_at)):
            _finish(emu, job, "failed", failed_at)
        elif at >= (done_at := timeline.moment(job, 1.0)):
            _finish(emu, job, "succeeded", done_at)
        elif (phase := timeline.phase(job, at)) != job.status:
            job.status = phase
            emu.changed()


def _job_response(request: web.Request, job: JobRecord, status: int = 200) -> web.Response:
    return web.json_response(job_view(job, surface_of(request), now()), status=status)


async def create(request: web.Request) -> web.Response:
    emu, surface = emulator(request), surface_of(request)
    spec = parse_job(emu, await json_body(request), surface)
    dataset = inspect(spec.training_file.content)
    hyperparameters = resolve_hyperparameters(spec.hyperparameters, spec.method, len(dataset.examples))
    job_id = new_id("ftjob-")
    suffix = f"-{spec.suffix}" if spec.suffix else ""
    job = JobRecord(
        id=job_id,
        created_at=now(),
        duration=emu.settings.job_seconds,
        transition=emu.settings.file_seconds,
        model=spec.model,
        training_file=spec.training_file.id,
        validation_file=spec.validation_file.id if spec.validation_file else None,
        seed=spec.seed,
        suffix=spec.suffix,
        metadata=spec.metadata,
        hyperparameters=hyperparameters,
        method={"type": spec.method, spec.method: {"hyperparameters": hyperparameters}},
        training_type=spec.training_type,
        examples=len(dataset.examples),
        tokens_per_epoch=dataset.tokens,
        fine_tuned_model_name=f"{spec.base.dated_id}.ft-{job_id.removeprefix('ftjob-')}{suffix}",
    )
    if (failure := validation_failure(job, dataset)) is not None:
        job.failure, job.fails_at = failure, timeline.VALIDATED
    elif (injected := emu.faults.take_job_failure()) is not None:
        job.failure, job.fails_at = {**injected, "param": None}, INJECTED_FAILURE_AT
    emu.store.jobs[job.id] = job
    emu.store.examples[job.id] = ExampleSet(job.id, [[e.prompt, e.reply] for e in dataset.examples])
    if surface is Surface.V1:
        return _job_response(request, job)
    # FineTuning_Create answers 201 with the job's Location.
    location = str(request.url.with_path(f"/openai/fine_tuning/jobs/{job.id}"))
    return web.json_response(job_view(job, surface, now()), status=201, headers={"Location": location})


def get_job(emu: Emulator, job_id: str) -> JobRecord:
    job = emu.store.jobs.get(job_id)
    return require(None if job is None or job.deleted else job, missing("fine-tuning job", job_id))


async def retrieve(request: web.Request) -> web.Response:
    return _job_response(request, get_job(emulator(request), request.match_info["job_id"]))


async def list_jobs(request: web.Request) -> web.Response:
    """Newest first, filtered by `metadata[key]=value` the way the SDK encodes the filter."""
    surface, at = surface_of(request), now()
    wanted = {m.group(1): v for k, v in request.query.items() if (m := METADATA_FILTER.match(k))}
    jobs = [
        job
        for job in emulator(request).store.jobs.values()
        if not job.deleted and all((job.metadata or {}).get(k) == v for k, v in wanted.items())
    ]
    jobs.sort(key=lambda job: job.created_at, reverse=True)
    return cursor_page(request, jobs, lambda job: job_view(job, surface, at), lambda job: job.id)


async def cancel(request: web.Request) -> web.Response:
    emu = emulator(request)
    job = get_job(emu, request.match_info["job_id"])
    if job.status in timeline.TERMINAL:
        raise conflict(f"Job {job.id} has already {job.status} and cannot be cancelled.")
    _finish(emu, job, "cancelled", now())
    return _job_response(request, job)


async def pause(request: web.Request) -> web.Response:
    emu, at = emulator(request), now()
    job = get_job(emu, request.match_info["job_id"])
    if job.status != "running" or timeline.steps_done(job, at) < 1:
        raise conflict(
            f"Job {job.id} is {job.status}; only a running job that trained at least one step can be paused."
        )
    job.pauses.append([at, None])
    job.status = timeline.phase(job, at)
    return _job_response(request, job)


async def resume(request: web.Request) -> web.Response:
    emu, at = emulator(request), now()
    job = get_job(emu, request.match_info["job_id"])
    if job.status != "paused":
        raise conflict(f"Job {job.id} is {job.status}; only a paused job can be resumed.")
    job.pauses[-1][1] = at
    job.status = timeline.phase(job, at)
    return _job_response(request, job)


async def delete(request: web.Request) -> web.Response:
    """FineTuning_Delete: 204. A job still active must be cancelled first (the service keeps the
    models a finished job made, so its deployments keep answering)."""
    emu = emulator(request)
    job = get_job(emu, request.match_info["job_id"])
    if job.status not in timeline.TERMINAL:
        raise conflict(f"Job {job.id} is {job.status}; cancel it before deleting it.")
    job.deleted = True
    return web.Response(status=204)


def _paged(request: web.Request, items: list[dict[str, Any]], default_limit: int) -> web.Response:
    return cursor_page(
        request, items, lambda item: item, lambda item: item["id"], default_limit=default_limit
    )


async def list_events(request: web.Request) -> web.Response:
    job = get_job(emulator(request), request.match_info["job_id"])
    return _paged(request, events(job, now())[::-1], 20)


async def list_checkpoints(request: web.Request) -> web.Response:
    job = get_job(emulator(request), request.match_info["job_id"])
    return _paged(request, checkpoints(job, now()), 10)


JOB = "/fine_tuning/jobs/{job_id}"
ROUTES = [
    Route("POST", "/fine_tuning/jobs", create, azure="FineTuning_Create", v1="createFineTuningJob"),
    Route("GET", "/fine_tuning/jobs", list_jobs, azure="FineTuning_List", v1="listPaginatedFineTuningJobs"),
    Route("GET", JOB, retrieve, azure="FineTuning_Get", v1="retrieveFineTuningJob"),
    Route("DELETE", JOB, delete, azure="FineTuning_Delete"),
    Route("POST", JOB + "/cancel", cancel, azure="FineTuning_Cancel", v1="cancelFineTuningJob"),
    Route("POST", JOB + "/pause", pause, azure="FineTuning_Pause", v1="pauseFineTuningJob"),
    Route("POST", JOB + "/resume", resume, azure="FineTuning_Resume", v1="resumeFineTuningJob"),
    Route("GET", JOB + "/events", list_events, azure="FineTuning_GetEvents", v1="listFineTuningEvents"),
    Route(
        "GET",
        JOB + "/checkpoints",
        list_checkpoints,
        azure="FineTuning_GetCheckpoints",
        v1="listFineTuningJobCheckpoints",
    ),
]
