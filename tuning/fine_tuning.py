"""Azure OpenAI fine-tuning calls, each safe to repeat (activities run at least once).

- an upload is named by the dataset's SHA-256 and reused when a usable file of that name exists;
- a job carries the run's key in its metadata and a repeated submit finds it instead of
  starting (and paying for) a second one.
"""

from __future__ import annotations

import math
from typing import BinaryIO

from openai import AzureOpenAI, OpenAI

from tuning.errors import Failure, PermanentError
from tuning.options import ResolvedOptions
from tuning.payloads import (
    CheckpointChoice,
    DatasetBlob,
    FileStatus,
    JobRef,
    JobStatus,
    Progress,
    UploadedFile,
)

UPLOADS_API_THRESHOLD = 100 * 1024 * 1024  # above this, the multi-part uploads API
UPLOAD_PART_SIZE = 64 * 1024 * 1024
RUN_KEY = "ft_run_key"
USABLE_FILE_STATES = ("uploaded", "pending", "running", "processed")

Client = AzureOpenAI | OpenAI


def upload_name(dataset: DatasetBlob) -> str:
    return f"{dataset.sha256}.jsonl"


def find_upload(client: Client, filename: str) -> FileStatus | None:
    for file in client.files.list(purpose="fine-tune"):
        if file.filename == filename and file.status in USABLE_FILE_STATES:
            return FileStatus(id=file.id, status=file.status)
    return None


def upload_dataset(
    client: Client,
    dataset: DatasetBlob,
    open_stream,
    *,
    threshold: int = UPLOADS_API_THRESHOLD,
    part_size: int = UPLOAD_PART_SIZE,
) -> UploadedFile:
    """Reuse an identical upload, else stream the blob to Azure OpenAI."""
    filename = upload_name(dataset)
    existing = find_upload(client, filename)
    if existing:
        return UploadedFile(
            kind=dataset.kind, id=existing.id, filename=filename, status=existing.status, reused=True
        )
    with open_stream(dataset.path) as stream:
        if dataset.size > threshold:
            file_id, status = _upload_in_parts(client, stream, filename, dataset.size, part_size)
        else:
            created = client.files.create(file=(filename, stream, "application/jsonl"), purpose="fine-tune")
            file_id, status = created.id, created.status
    return UploadedFile(kind=dataset.kind, id=file_id, filename=filename, status=status, reused=False)


def _upload_in_parts(
    client: Client, stream: BinaryIO, filename: str, size: int, part_size: int
) -> tuple[str, str]:
    upload = client.uploads.create(
        bytes=size, filename=filename, mime_type="application/jsonl", purpose="fine-tune"
    )
    part_ids = []
    while chunk := stream.read(part_size):
        part_ids.append(client.uploads.parts.create(upload_id=upload.id, data=chunk).id)
    completed = client.uploads.complete(upload_id=upload.id, part_ids=part_ids)
    if completed.file is None:
        raise PermanentError("upload_incomplete", f"upload {upload.id} completed without a file")
    return completed.file.id, completed.file.status


def file_status(client: Client, file_id: str) -> FileStatus:
    file = client.files.retrieve(file_id)
    details = getattr(file, "status_details", None)
    return FileStatus(id=file.id, status=file.status, error=details if file.status == "error" else None)


def find_job(client: Client, run_key: str, page_size: int = 50) -> str | None:
    for job in client.fine_tuning.jobs.list(limit=page_size):
        if (job.metadata or {}).get(RUN_KEY) == run_key:
            return job.id
    return None


def submit_job(
    client: Client, run_key: str, training_file: str, validation_file: str | None, options: ResolvedOptions
) -> JobRef:
    """Find the job this run already started, else create it with the run key in its metadata."""
    existing = find_job(client, run_key)
    if existing:
        return JobRef(id=existing, reused=True)
    request: dict = {
        "model": options.base_model,
        "training_file": training_file,
        "metadata": {RUN_KEY: run_key},
    }
    if validation_file:
        request["validation_file"] = validation_file
    if options.seed is not None:
        request["seed"] = options.seed
    if options.suffix:
        request["suffix"] = options.suffix
    method_hyperparameters = dict(options.hyperparameters)
    if options.method == "dpo":
        request["method"] = {"type": "dpo", "dpo": {"hyperparameters": method_hyperparameters}}
    else:
        request["method"] = {"type": "supervised", "supervised": {"hyperparameters": method_hyperparameters}}
    job = client.fine_tuning.jobs.create(**request)
    return JobRef(id=job.id, reused=False)


def job_status(client: Client, job_id: str) -> JobStatus:
    job = client.fine_tuning.jobs.retrieve(job_id)
    error = None
    if job.error and (job.error.code or job.error.message):
        error = Failure(code=job.error.code or "job_failed", message=job.error.message or "")
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


def latest_progress(client: Client, job_id: str) -> Progress:
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


def cancel_job(client: Client, job_id: str) -> JobStatus:
    current = client.fine_tuning.jobs.retrieve(job_id)
    if current.status not in ("succeeded", "failed", "cancelled"):
        client.fine_tuning.jobs.cancel(job_id)
    return job_status(client, job_id)


def best_checkpoint(client: Client, job_id: str) -> CheckpointChoice | None:
    """The checkpoint with the lowest validation loss (training loss when no validation file)."""
    checkpoints = list(client.fine_tuning.jobs.checkpoints.list(job_id, limit=100))
    if not checkpoints:
        return None

    def losses(checkpoint) -> tuple[float | None, float | None]:
        metrics = checkpoint.metrics
        valid = _finite(getattr(metrics, "full_valid_loss", None)) or _finite(
            getattr(metrics, "valid_loss", None)
        )
        return valid, _finite(getattr(metrics, "train_loss", None))

    with_valid = [c for c in checkpoints if losses(c)[0] is not None]
    basis, key = (
        ("validation loss", 0) if with_valid else ("training loss (no validation loss was measured)", 1)
    )
    candidates = with_valid or [c for c in checkpoints if losses(c)[1] is not None] or checkpoints
    chosen = min(
        candidates, key=lambda c: (losses(c)[key] if losses(c)[key] is not None else math.inf, c.step_number)
    )
    valid, train = losses(chosen)
    return CheckpointChoice(
        model=chosen.fine_tuned_model_checkpoint,
        step=chosen.step_number,
        valid_loss=valid,
        train_loss=train,
        reason=f"lowest {basis} among {len(checkpoints)} checkpoints: step {chosen.step_number}",
    )


def result_csv(client: Client, file_id: str) -> str:
    return client.files.content(file_id).text


def _finite(value: object) -> float | None:
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    return None
