"""What a fine-tuning job shows: its object per surface, its events, its checkpoints and the models it made.

Statuses per surface: the authoring spec's FineTuningState has `pending` for a job that is
validating or queued (Azure never returns `created`) and its own pause states; OpenAI's
FineTuningJob has `validating_files` and `queued`, and no pause states, so /v1/ shows a pausing
or paused job as `paused` (as OpenAI's own pause example answers) and a resuming one as `queued`
(as its resume example answers). The authoring schemas declare no nullable field, so absent
values are left out there; OpenAI's required fields are always present, null when empty.
"""

from __future__ import annotations

import hashlib
from typing import Any

from local.aoai import timeline, training
from local.aoai.context import Emulator
from local.aoai.state import JobRecord
from local.aoai.surfaces import Surface

__all__ = ["checkpoints", "deployable", "events", "job_view", "shown_status"]

AZURE_STATUS = {"validating_files": "pending", "queued": "pending"}
V1_STATUS = {"pausing": "paused", "resuming": "queued"}
Event = tuple[float, str, str, str, dict[str, Any] | None]


def shown_status(job: JobRecord, surface: Surface) -> str:
    names = AZURE_STATUS if surface.azure_style else V1_STATUS
    return names.get(job.status, job.status)


def _error_view(job: JobRecord, surface: Surface) -> dict[str, Any] | None:
    if job.error is None:
        return None
    error = {"code": job.error["code"], "message": job.error["message"], "param": job.error.get("param")}
    return (
        error
        if surface is Surface.V1 or error["param"] is not None
        else {k: error[k] for k in ("code", "message")}
    )


def job_view(job: JobRecord, surface: Surface, at: float) -> dict[str, Any]:
    progressing = job.status in timeline.ACTIVE and job.status not in ("pausing", "paused")
    hyperparameters = {
        k: job.hyperparameters[k] for k in ("n_epochs", "batch_size", "learning_rate_multiplier")
    }
    view: dict[str, Any] = {
        "id": job.id,
        "object": "fine_tuning.job",
        "created_at": int(job.created_at),
        "model": job.model,
        "training_file": job.training_file,
        "validation_file": job.validation_file,
        "status": shown_status(job, surface),
        "hyperparameters": hyperparameters,
        "method": job.method,
        "seed": job.seed,
        "suffix": job.suffix,
        "result_files": [job.result_file] if job.result_file else [],
        "trained_tokens": job.trained_tokens,
        "fine_tuned_model": job.fine_tuned_model,
        "finished_at": int(job.finished_at) if job.finished_at else None,
        "estimated_finish": int(timeline.moment(job, 1.0)) if progressing else None,
        "error": _error_view(job, surface),
        "integrations": [],
        "metadata": job.metadata,
        "trainingType": job.training_type,
    }
    if surface is Surface.V1:
        return {**view, "organization_id": "org-emulator"}
    return {k: v for k, v in view.items() if v is not None}


def _event_id(job: JobRecord, key: str) -> str:
    return "ftevent-" + hashlib.sha256(f"{job.id}:{key}".encode()).hexdigest()[:24]


def _pause_events(job: JobRecord) -> list[Event]:
    found: list[Event] = []
    for index, (start, resumed) in enumerate(job.pauses):
        assert start is not None
        step = timeline.steps_done(job, start)
        found += [
            (start, f"pause-{index}", "info", "Fine-tuning job pause requested", None),
            (
                start + job.transition,
                f"paused-{index}",
                "info",
                f"Fine-tuning job paused at step {step}",
                None,
            ),
        ]
        if resumed is not None:
            found += [
                (resumed, f"resume-{index}", "info", "Fine-tuning job resume requested", None),
                (resumed + job.transition, f"resumed-{index}", "info", "Fine-tuning job resumed", None),
            ]
    return found


def _end_events(job: JobRecord) -> list[Event]:
    end = job.finished_at
    if end is None:
        return []
    if job.status == "succeeded":
        return [
            (end, "model", "info", f"New fine-tuned model created: {job.fine_tuned_model}", None),
            (end, "done", "info", "The job has successfully completed", None),
        ]
    if job.status == "failed":
        message = job.failure["message"] if job.failure else "unknown error"
        return [(end, "failed", "error", f"Fine-tuning job failed: {message}", None)]
    return [(end, "cancelled", "info", "Fine-tuning job cancelled", None)]


def events(job: JobRecord, at: float) -> list[dict[str, Any]]:
    """Every event the job has emitted by `at`, oldest first (ids are stable across calls)."""
    total = training.total_steps(job)
    ends = set(training.epoch_steps(job))
    found: list[Event] = [
        (job.created_at, "created", "info", f"Created fine-tuning job: {job.id}", None),
        (job.created_at, "validating", "info", f"Validating training file: {job.training_file}", None),
    ]
    if not (job.failure and job.fails_at <= timeline.VALIDATED):
        found += [
            (
                timeline.moment(job, timeline.VALIDATED),
                "validated",
                "info",
                "Files validated, moving job to queued state",
                None,
            ),
            (timeline.moment(job, timeline.STARTED), "started", "info", "Fine-tuning job started", None),
        ]
    for step in range(1, timeline.steps_done(job, at) + 1):
        point = training.metrics(job, step, full_validation=step in ends)
        when = timeline.step_time(job, step)
        data = {**point.as_dict(), "total_steps": total}
        found.append(
            (when, f"step-{step}", "info", f"Step {step}/{total}: training loss={point.train_loss}", data)
        )
        if step in ends:
            found.append((when, f"checkpoint-{step}", "info", f"Checkpoint created at step {step}", None))
    found += _pause_events(job) + _end_events(job)
    found = sorted((e for e in found if e[0] <= at), key=lambda e: e[0])
    return [
        {
            "id": _event_id(job, key),
            "object": "fine_tuning.job.event",
            "created_at": int(when),
            "level": level,
            "message": message,
            "type": "metrics" if data else "message",
            "data": data or {},
        }
        for when, key, level, message, data in found
    ]


def _checkpoint_steps(job: JobRecord, at: float) -> dict[int, float]:
    """Step -> creation time of each checkpoint the job keeps by `at`."""
    done = timeline.steps_done(job, at)
    kept = [s for s in training.epoch_steps(job) if s <= done][-training.KEPT_EPOCH_CHECKPOINTS :]
    steps = {step: timeline.step_time(job, step) for step in kept}
    for step, created in timeline.pause_checkpoints(job, at):
        steps.setdefault(step, created)
    return steps


def checkpoints(job: JobRecord, at: float) -> list[dict[str, Any]]:
    """The job's checkpoints, newest first, with their metrics (numbers only, as both specs type them)."""
    return [
        {
            "id": training.checkpoint_id(job, step),
            "object": "fine_tuning.job.checkpoint",
            "created_at": int(created),
            "fine_tuning_job_id": job.id,
            "fine_tuned_model_checkpoint": training.checkpoint_model(job, step),
            "step_number": step,
            "metrics": training.metrics(job, step, full_validation=job.validation_file is not None).as_dict(),
        }
        for step, created in sorted(_checkpoint_steps(job, at).items(), reverse=True)
    ]


def deployable(emu: Emulator, model: str, at: float) -> tuple[JobRecord, int | None] | None:
    """The job and checkpoint step (None: the final model) a deployable model name stands for.

    A fine-tuned model is deployable once its job succeeded; a checkpoint by its model name
    (`<model>:ckpt-step-N`) or by its id (`ftchkpt-...`, as fine-tuning-deploy.md shows).
    """
    for job in emu.store.jobs.values():
        if job.fine_tuned_model == model:
            return job, None
        for step in _checkpoint_steps(job, at):
            if model in (training.checkpoint_model(job, step), training.checkpoint_id(job, step)):
                return job, step
    return None
