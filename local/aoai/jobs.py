"""Fine-tuning jobs: create, retrieve, list, cancel, events, checkpoints.

A job walks validating_files -> queued -> running -> succeeded over its duration (the
--job-seconds it was created with). Its status is derived from the stored timestamps on
every request (advance), so no background task is needed and a restart loses nothing.
A forced failure (admin route) ends the job `failed` halfway through running.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Any

from aiohttp import web

from local.aoai import training
from local.aoai.catalog import FINE_TUNABLE
from local.aoai.context import Emulator, emulator
from local.aoai.datasets import inspect
from local.aoai.errors import invalid, not_found, require
from local.aoai.files import add_file, get_file
from local.aoai.protocol import cursor_page, json_body
from local.aoai.state import JobRecord, new_id, now

VALIDATED, STARTED, FAILS_AT = 0.1, 0.2, 0.5
TERMINAL = {"succeeded", "failed", "cancelled"}
SUFFIX = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
METADATA_FILTER = re.compile(r"^metadata\[(.+)\]$")
LIMITS: dict[str, tuple[float, float]] = {
    "n_epochs": (1, 50),
    "batch_size": (1, 256),
    "learning_rate_multiplier": (0.0, 10.0),
    "beta": (0.0, 2.0),
}


def _moment(job: JobRecord, fraction: float) -> float:
    return job.created_at + fraction * job.duration


def _step_time(job: JobRecord, step: int) -> float:
    return _moment(job, STARTED + (1 - STARTED) * step / training.total_steps(job))


def steps_done(job: JobRecord, at: float) -> int:
    """Training steps finished by `at` (a stopped job stops counting when it stopped)."""
    if job.finished_at is not None:
        at = min(at, job.finished_at)
    start, end = _moment(job, STARTED), _moment(job, 1.0)
    if at < start:
        return 0
    total = training.total_steps(job)
    return min(total, int(total * (at - start) / (end - start)))


def _finish(emu: Emulator, job: JobRecord, status: str, at: float) -> None:
    job.status, job.finished_at = status, at
    if status == "succeeded":
        job.fine_tuned_model = job.fine_tuned_model_name
        job.trained_tokens = job.tokens_per_epoch * job.hyperparameters["n_epochs"]
        csv = training.results_csv(job, training.total_steps(job)).encode()
        result = add_file(emu, "results.csv", "fine-tune-results", csv, ready_in=0.0)
        result.status = "processed"
        job.result_file = result.id
    elif status == "failed":
        job.error = {"code": job.failure["code"], "message": job.failure["message"], "param": None}
    emu.changed()


def advance(emu: Emulator, at: float) -> None:
    for job in emu.store.jobs.values():
        if job.status in TERMINAL:
            continue
        if job.failure and at >= _moment(job, FAILS_AT):
            _finish(emu, job, "failed", _moment(job, FAILS_AT))
        elif at >= _moment(job, 1.0):
            _finish(emu, job, "succeeded", _moment(job, 1.0))
        else:
            phase = (
                "running"
                if at >= _moment(job, STARTED)
                else "queued"
                if at >= _moment(job, VALIDATED)
                else "validating_files"
            )
            if phase != job.status:
                job.status = phase
                emu.changed()


def trained_models(emu: Emulator) -> set[str]:
    """Models a succeeded job produced: the final model and every epoch checkpoint."""
    names: set[str] = set()
    for job in emu.store.jobs.values():
        if job.status == "succeeded":
            names.add(job.fine_tuned_model_name)
            names.update(training.checkpoint_model(job, step) for step in training.checkpoint_steps(job))
    return names


def to_api(job: JobRecord) -> dict[str, Any]:
    running = job.status in {"validating_files", "queued", "running"}
    return {
        "id": job.id,
        "object": "fine_tuning.job",
        "created_at": int(job.created_at),
        "finished_at": int(job.finished_at) if job.finished_at else None,
        "estimated_finish": int(_moment(job, 1.0)) if running else None,
        "model": job.model,
        "fine_tuned_model": job.fine_tuned_model,
        "organization_id": "org-emulator",
        "result_files": [job.result_file] if job.result_file else [],
        "status": job.status,
        "training_file": job.training_file,
        "validation_file": job.validation_file,
        "hyperparameters": {k: v for k, v in job.hyperparameters.items() if k != "beta"},
        "trained_tokens": job.trained_tokens,
        "error": job.error,
        "seed": job.seed,
        "suffix": job.suffix,
        "metadata": job.metadata,
        "method": job.method,
        "integrations": [],
    }


def _check_hyperparameter(name: str, value: Any) -> None:
    low, high = LIMITS[name]
    if name in {"n_epochs", "batch_size"}:
        valid, bounds = isinstance(value, int) and low <= value <= high, f"an integer in [{low:g}, {high:g}]"
    else:
        valid, bounds = (
            isinstance(value, (int, float)) and low < value <= high,
            f"a number in ({low:g}, {high:g}]",
        )
    if isinstance(value, bool) or not valid:
        raise invalid(
            f"Invalid hyperparameter {name}={value!r}: must be 'auto' or {bounds}.",
            param=f"hyperparameters.{name}",
        )


def _hyperparameters(body: dict[str, Any], method_type: str) -> dict[str, Any]:
    """Top-level `hyperparameters` overlaid by the method's own, each checked against its range."""
    method_block = (body.get("method") or {}).get(method_type) or {}
    given = {**(body.get("hyperparameters") or {}), **(method_block.get("hyperparameters") or {})}
    for name, value in given.items():
        if name not in LIMITS or (name == "beta" and method_type != "dpo"):
            raise invalid(
                f"Unknown hyperparameter '{name}' for method '{method_type}'.",
                param=f"hyperparameters.{name}",
            )
        if value != "auto":
            _check_hyperparameter(name, value)
    return given


def _training_input(emu: Emulator, file_id: Any, param: str) -> Any:
    """A file a job may train on: it exists (else 404), is fine-tune, processed and valid (else 400)."""
    if not isinstance(file_id, str) or not file_id:
        raise invalid(f"'{param}' must be a file id.", param=param)
    record = get_file(emu, file_id)
    if record.purpose != "fine-tune":
        raise invalid(f"File {file_id} has purpose '{record.purpose}', not 'fine-tune'.", param=param)
    if record.status == "error":
        raise invalid(f"File {file_id} is not a valid fine-tuning file: {record.problem}", param=param)
    if record.status != "processed":
        raise invalid(
            f"File {file_id} is not ready yet (status '{record.status}'); wait until it is processed.",
            param=param,
        )
    return record


def _check_metadata(metadata: Any) -> dict[str, str] | None:
    if metadata is None:
        return None
    valid = (
        isinstance(metadata, dict)
        and len(metadata) <= 16
        and all(
            isinstance(k, str) and isinstance(v, str) and len(k) <= 64 and len(v) <= 512
            for k, v in metadata.items()
        )
    )
    if not valid:
        raise invalid(
            "'metadata' must map at most 16 keys (up to 64 characters) to strings of up to 512 characters.",
            param="metadata",
        )
    return metadata


def _method_type(body: dict[str, Any], model: str) -> str:
    method = body.get("method") or {"type": "supervised"}
    kind = method.get("type") if isinstance(method, dict) else None
    if kind not in FINE_TUNABLE[model]:
        raise invalid(
            f"Method {kind!r} is not supported for {model}; supported: "
            f"{', '.join(sorted(FINE_TUNABLE[model]))}.",
            param="method.type",
        )
    return kind


def _resolve(given: dict[str, Any], method_type: str, examples: int) -> dict[str, Any]:
    """Replace 'auto' (or absent) hyperparameters with the values the job will use."""
    defaults: dict[str, Any] = {
        "n_epochs": training.auto_epochs(examples),
        "batch_size": training.auto_batch_size(examples),
        "learning_rate_multiplier": 1.0,
    }
    if method_type == "dpo":
        defaults["beta"] = 0.1
    return {
        name: default if given.get(name, "auto") == "auto" else given[name]
        for name, default in defaults.items()
    }


async def create(request: web.Request) -> web.Response:
    emu = emulator(request)
    body = await json_body(request)
    model = body.get("model")
    if model not in FINE_TUNABLE:
        raise invalid(
            f"The specified base model {model!r} does not support fine-tuning. Supported: "
            f"{', '.join(FINE_TUNABLE)}.",
            param="model",
        )
    method_type = _method_type(body, model)
    given = _hyperparameters(body, method_type)
    training_file = _training_input(emu, body.get("training_file"), "training_file")
    if body.get("validation_file") is not None:
        _training_input(emu, body["validation_file"], "validation_file")
    suffix = body.get("suffix")
    if suffix is not None and (not isinstance(suffix, str) or not SUFFIX.match(suffix)):
        raise invalid("'suffix' must be 1-64 characters of letters, digits, '-', '_' or '.'.", param="suffix")
    seed = body.get("seed", secrets.randbelow(2**31))
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= 2**31 - 1:
        raise invalid("'seed' must be an integer between 0 and 2147483647.", param="seed")
    dataset = inspect(training_file.content)
    hyperparameters = _resolve(given, method_type, dataset.examples)
    job_id = new_id("ftjob-")
    fine_tuned = f"{model}.ft-{job_id.removeprefix('ftjob-')}" + (f"-{suffix}" if suffix else "")
    job = JobRecord(
        id=job_id,
        created_at=now(),
        duration=emu.settings.job_seconds,
        model=model,
        training_file=training_file.id,
        validation_file=body.get("validation_file"),
        seed=seed,
        suffix=suffix,
        metadata=_check_metadata(body.get("metadata")),
        hyperparameters=hyperparameters,
        method={"type": method_type, method_type: {"hyperparameters": hyperparameters}},
        training_type=body.get("trainingType"),
        examples=dataset.examples,
        tokens_per_epoch=dataset.tokens,
        fine_tuned_model_name=fine_tuned,
        failure=emu.faults.take_job_failure(),
    )
    emu.store.jobs[job.id] = job
    return web.json_response(to_api(job), status=201)


def get_job(emu: Emulator, job_id: str) -> JobRecord:
    return require(emu.store.jobs.get(job_id), not_found("Fine-tuning job", job_id))


async def retrieve(request: web.Request) -> web.Response:
    return web.json_response(to_api(get_job(emulator(request), request.match_info["job_id"])))


async def list_jobs(request: web.Request) -> web.Response:
    """Newest first, filtered by `metadata[key]=value` the way the SDK encodes the filter."""
    wanted = {m.group(1): v for k, v in request.query.items() if (m := METADATA_FILTER.match(k))}
    jobs = [
        job
        for job in emulator(request).store.jobs.values()
        if all((job.metadata or {}).get(k) == v for k, v in wanted.items())
    ]
    jobs.sort(key=lambda job: job.created_at, reverse=True)
    return cursor_page(request, jobs, to_api, lambda job: job.id)


async def cancel(request: web.Request) -> web.Response:
    emu = emulator(request)
    job = get_job(emu, request.match_info["job_id"])
    if job.status in TERMINAL:
        raise invalid(
            f"Job {job.id} has already {job.status} and cannot be cancelled.", code="jobNotCancellable"
        )
    _finish(emu, job, "cancelled", now())
    return web.json_response(to_api(job))


def _event(
    job: JobRecord, index: int, at: float, level: str, message: str, data: dict[str, Any] | None
) -> dict[str, Any]:
    digest = hashlib.sha256(f"{job.id}:{index}".encode()).hexdigest()[:24]
    return {
        "id": f"ftevent-{digest}",
        "object": "fine_tuning.job.event",
        "created_at": int(at),
        "level": level,
        "message": message,
        "type": "metrics" if data else "message",
        "data": data or {},
    }


def events(job: JobRecord, until: float) -> list[dict[str, Any]]:
    """Every event the job has emitted by `until`, oldest first (ids are stable across calls)."""
    total = training.total_steps(job)
    checkpoints = set(training.checkpoint_steps(job))
    timeline: list[tuple[float, str, str, dict[str, Any] | None]] = [
        (job.created_at, "info", f"Created fine-tuning job: {job.id}", None),
        (
            job.created_at,
            "info",
            f"Validating training file: {job.training_file}"
            + (f" and validation file: {job.validation_file}" if job.validation_file else ""),
            None,
        ),
        (_moment(job, VALIDATED), "info", "Files validated, moving job to queued state", None),
        (_moment(job, STARTED), "info", "Fine-tuning job started", None),
    ]
    for step in range(1, steps_done(job, until) + 1):
        point = training.metrics(job, step)
        timeline.append(
            (
                _step_time(job, step),
                "info",
                f"Step {step}/{total}: training loss={point.train_loss}",
                {**point.as_dict(), "total_steps": total},
            )
        )
        if step in checkpoints:
            timeline.append((_step_time(job, step), "info", f"Checkpoint created at step {step}", None))
    if job.status == "succeeded":
        timeline += [
            (job.finished_at, "info", f"New fine-tuned model created: {job.fine_tuned_model}", None),
            (job.finished_at, "info", "The job has successfully completed", None),
        ]
    elif job.status == "failed":
        timeline.append((job.finished_at, "error", f"Fine-tuning job failed: {job.failure['message']}", None))
    elif job.status == "cancelled":
        timeline.append((job.finished_at, "info", "Fine-tuning job cancelled", None))
    return [_event(job, index, *entry) for index, entry in enumerate(timeline) if entry[0] <= until]


async def list_events(request: web.Request) -> web.Response:
    job = get_job(emulator(request), request.match_info["job_id"])
    newest_first = events(job, now())[::-1]
    return cursor_page(request, newest_first, lambda event: event, lambda event: event["id"])


def checkpoints(job: JobRecord, at: float) -> list[dict[str, Any]]:
    """Epoch checkpoints reached by `at`, newest first."""
    done = steps_done(job, at)
    reached = [step for step in training.checkpoint_steps(job) if step <= done]
    result = []
    for step in reversed(reached):
        point = training.metrics(job, step).as_dict()
        if job.validation_file:
            point |= {
                "full_valid_loss": point["valid_loss"],
                "full_valid_mean_token_accuracy": point["valid_mean_token_accuracy"],
            }
        digest = hashlib.sha256(f"{job.id}:ckpt:{step}".encode()).hexdigest()[:24]
        result.append(
            {
                "id": f"ftckpt-{digest}",
                "object": "fine_tuning.job.checkpoint",
                "created_at": int(_step_time(job, step)),
                "fine_tuning_job_id": job.id,
                "fine_tuned_model_checkpoint": training.checkpoint_model(job, step),
                "step_number": step,
                "metrics": point,
            }
        )
    return result


async def list_checkpoints(request: web.Request) -> web.Response:
    job = get_job(emulator(request), request.match_info["job_id"])
    return cursor_page(request, checkpoints(job, now()), lambda c: c, lambda c: c["id"], default_limit=10)


ROUTES = [
    web.post("/fine_tuning/jobs", create),
    web.get("/fine_tuning/jobs", list_jobs),
    web.get("/fine_tuning/jobs/{job_id}", retrieve),
    web.post("/fine_tuning/jobs/{job_id}/cancel", cancel),
    web.get("/fine_tuning/jobs/{job_id}/events", list_events),
    web.get("/fine_tuning/jobs/{job_id}/checkpoints", list_checkpoints),
]
