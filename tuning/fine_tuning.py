"""Azure OpenAI fine-tuning calls, each safe to repeat (activities run at least once).

- An upload is named by the dataset's SHA-256 and reused only when a usable file of that name
  and size exists; the bytes sent are checked against the pinned hash as they stream.
- A job carries the run's key in its metadata, and a repeated submit finds it instead of
  starting (and paying for) a second one.
- Creates are sent once: the client's own retries are off for them (`max_retries=0`), because a
  retried POST whose first answer was lost would create a second file or job. The durable retry
  re-runs the whole step, and the step looks before it creates.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO

from openai import OpenAI

from tuning.catalog import training_type_api_value
from tuning.failures import PipelineError
from tuning.payloads import (
    JOB_FINISHED,
    Checkpoint,
    Checkpoints,
    Failure,
    FileStatus,
    JobStatus,
    JobSubmitted,
    PinnedBlob,
    Progress,
    SubmitInput,
    UploadedFile,
)
from tuning.settings import ApiStyle

__all__ = [
    "RUN_KEY",
    "UPLOADS_API_THRESHOLD",
    "RunJob",
    "control_job",
    "file_status",
    "find_upload",
    "job_status",
    "jobs_of_run",
    "list_checkpoints",
    "recent_run_jobs",
    "result_csv",
    "submit_job",
    "upload_dataset",
]

UPLOADS_API_THRESHOLD = 100 * 1024 * 1024  # above this, the multi-part uploads API
UPLOAD_PART_SIZE = 64 * 1024 * 1024
RUN_KEY = "ft_run_key"
# File states of both styles in which a file can still be trained on (Azure's FileState adds
# pending/running to OpenAI's uploaded/processed).
USABLE_FILE_STATES = frozenset({"uploaded", "pending", "running", "processed"})
OpenStream = Callable[[PinnedBlob], BinaryIO]


def upload_name(dataset: PinnedBlob) -> str:
    return f"{dataset.sha256}.jsonl"


def find_upload(client: OpenAI, dataset: PinnedBlob) -> FileStatus | None:
    """A usable file already uploaded with this content: same hash-derived name and same size."""
    filename = upload_name(dataset)
    for file in client.files.list(purpose="fine-tune"):
        if file.filename == filename and file.bytes == dataset.size and file.status in USABLE_FILE_STATES:
            return FileStatus(id=file.id, status=file.status)
    return None


def upload_dataset(
    client: OpenAI,
    dataset: PinnedBlob,
    open_pinned: OpenStream,
    *,
    threshold: int = UPLOADS_API_THRESHOLD,
    part_size: int = UPLOAD_PART_SIZE,
) -> UploadedFile:
    """Reuse an identical upload, else stream exactly the pinned version to Azure OpenAI."""
    filename = upload_name(dataset)
    existing = find_upload(client, dataset)
    if existing:
        return UploadedFile(
            kind=dataset.kind, id=existing.id, filename=filename, status=existing.status, reused=True
        )
    once = client.with_options(max_retries=0)
    with open_pinned(dataset) as stream:
        if dataset.size > threshold:
            file_id, status = _upload_in_parts(once, stream, filename, dataset.size, part_size)
        else:
            created = once.files.create(file=(filename, stream, "application/jsonl"), purpose="fine-tune")
            file_id, status = created.id, created.status
    return UploadedFile(kind=dataset.kind, id=file_id, filename=filename, status=status, reused=False)


def _upload_in_parts(
    client: OpenAI, stream: BinaryIO, filename: str, size: int, part_size: int
) -> tuple[str, str]:
    upload = client.uploads.create(
        bytes=size, filename=filename, mime_type="application/jsonl", purpose="fine-tune"
    )
    part_ids = []
    while chunk := stream.read(part_size):
        part_ids.append(client.uploads.parts.create(upload_id=upload.id, data=chunk).id)
    # The last read (at the end of the stream) checked the bytes against the pinned hash.
    completed = client.uploads.complete(upload_id=upload.id, part_ids=part_ids)
    if completed.file is None:
        raise PipelineError("file_rejected", f"upload {upload.id} completed without a file")
    return completed.file.id, completed.file.status


def file_status(client: OpenAI, file_id: str) -> FileStatus:
    file = client.files.retrieve(file_id)
    details = getattr(file, "status_details", None)
    return FileStatus(id=file.id, status=file.status, error=details if file.status == "error" else None)


def jobs_of_run(client: OpenAI, run_key: str, style: ApiStyle) -> list[str]:
    """The jobs this run key started (normally one). The `/openai/v1/` list filters by metadata
    (OpenAI's spec); the dated Azure route has no such filter, so the key is always checked here."""
    query: dict[str, Any] = {"limit": 100}
    if style == "v1":
        query["metadata"] = {RUN_KEY: run_key}
    return [
        job.id
        for job in client.fine_tuning.jobs.list(**query)
        if (job.metadata or {}).get(RUN_KEY) == run_key
    ]


@dataclass(frozen=True)
class RunJob:
    id: str
    run_key: str
    finished: bool


def recent_run_jobs(client: OpenAI, since: float) -> list[RunJob]:
    """The jobs this service started since a Unix time, newest first (for the reconciler). The
    list is newest first, so the scan stops at the first older job."""
    found = []
    for job in client.fine_tuning.jobs.list(limit=100):
        if job.created_at < since:
            break
        key = (job.metadata or {}).get(RUN_KEY)
        if key:
            found.append(RunJob(id=job.id, run_key=key, finished=job.status in JOB_FINISHED))
    return found


def submit_job(client: OpenAI, style: ApiStyle, submit: SubmitInput) -> JobSubmitted:
    """Find the job this run already started, else create it, once, with the run key in its metadata."""
    options = submit.options
    existing = jobs_of_run(client, submit.run_key, style)
    if existing:
        return JobSubmitted(id=existing[0], reused=True)
    request: dict[str, Any] = {
        "model": options.base_model,
        "training_file": submit.training_file,
        "metadata": {RUN_KEY: submit.run_key},
        "method": {
            "type": options.method,
            options.method: {"hyperparameters": dict(options.hyperparameters)},
        },
        # Azure's training tier is not in OpenAI's schema: sent as Azure documents it, in the body.
        "extra_body": {"trainingType": training_type_api_value(options.training_type)},
    }
    if submit.validation_file:
        request["validation_file"] = submit.validation_file
    if options.seed is not None:
        request["seed"] = options.seed
    if options.suffix:
        request["suffix"] = options.suffix
    job = client.with_options(max_retries=0).fine_tuning.jobs.create(**request)
    return JobSubmitted(id=job.id, reused=False)


def job_status(client: OpenAI, job_id: str) -> JobStatus:
    job = client.fine_tuning.jobs.retrieve(job_id)
    error = None
    if job.error and (job.error.code or job.error.message):
        error = Failure(
            code="job_failed", message=job.error.message or "", service_code=job.error.code or None
        )
    return JobStatus(
        id=job.id,
        status=job.status,
        model=job.model,
        fine_tuned_model=job.fine_tuned_model,
        trained_tokens=job.trained_tokens,
        result_files=list(job.result_files or []),
        error=error,
        progress=latest_progress(client, job_id),
    )


def latest_progress(client: OpenAI, job_id: str) -> Progress:
    """The newest step-metrics event: what a person watching the run wants to see."""
    for event in client.fine_tuning.jobs.list_events(job_id, limit=20).data:
        data = event.data if isinstance(event.data, dict) else None
        if event.type == "metrics" and data and "step" in data:
            return Progress(
                step=data.get("step"),
                train_loss=_finite(data.get("train_loss")),
                valid_loss=_finite(data.get("valid_loss")),
            )
    return Progress()


def control_job(client: OpenAI, job_id: str, action: str) -> JobStatus:
    """Cancel, pause or resume; asking for what is already so (or can no longer be) changes nothing."""
    current = job_status(client, job_id)
    if current.finished:
        return current
    if action == "cancel":
        client.fine_tuning.jobs.cancel(job_id)
    elif action == "pause" and current.status not in ("pausing", "paused"):
        client.fine_tuning.jobs.pause(job_id)
    elif action == "resume" and current.status == "paused":  # a pausing job cannot be resumed yet
        client.fine_tuning.jobs.resume(job_id)
    return job_status(client, job_id)


def list_checkpoints(client: OpenAI, job_id: str) -> Checkpoints:
    items = []
    for checkpoint in client.fine_tuning.jobs.checkpoints.list(job_id, limit=100):
        metrics = checkpoint.metrics
        valid = _finite(getattr(metrics, "full_valid_loss", None))
        if valid is None:
            valid = _finite(getattr(metrics, "valid_loss", None))
        items.append(
            Checkpoint(
                model=checkpoint.fine_tuned_model_checkpoint,
                step=checkpoint.step_number,
                valid_loss=valid,
                train_loss=_finite(getattr(metrics, "train_loss", None)),
            )
        )
    return Checkpoints(items=items)


def result_csv(client: OpenAI, file_id: str) -> str:
    return client.files.content(file_id).text


def _finite(value: object) -> float | None:
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    return None
