"""The emulator's records and their persistence.

Everything lives in memory. With a state directory the whole store is written to
`state.json` after each change (temp file + os.replace, so a crash never leaves half a file)
and read back on start. Lifecycles are computed from stored wall-clock timestamps, so a job
or deployment keeps progressing across a restart as if the server had never stopped.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import secrets
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

__all__ = [
    "DeploymentRecord",
    "ExampleSet",
    "FileRecord",
    "JobRecord",
    "OperationRecord",
    "PartRecord",
    "Store",
    "UploadRecord",
    "advance_clock",
    "new_id",
    "now",
]

STATE_FILE = "state.json"


def new_id(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(16)}"


_clock = {"offset": 0.0}


def now() -> float:
    """The emulator's time: the wall clock, moved forward by `advance_clock` (tests skip waits with it)."""
    return time.time() + _clock["offset"]


def advance_clock(seconds: float) -> float:
    """Move the emulator's time forward (never back); 0 resets it. Answers the current offset."""
    _clock["offset"] = _clock["offset"] + seconds if seconds else 0.0
    return _clock["offset"]


@dataclass
class FileRecord:
    """An uploaded (or result) file; `problem` is decided at upload and shown once processed.

    `status` is `pending` until `ready_at`, then `processed` or `error`; each surface shows it
    in its own words (files.py). A file with `expires_at` disappears at that time.
    """

    id: str
    filename: str
    purpose: str
    content: bytes
    created_at: float
    ready_at: float
    problem: str | None = None
    status: str = "pending"
    expires_at: float | None = None

    @property
    def bytes(self) -> int:
        return len(self.content)

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": self.status,
            "bytes": self.bytes,
            "expires_at": self.expires_at,
        }


@dataclass
class PartRecord:
    id: str
    upload_id: str
    created_at: float
    data: bytes


@dataclass
class UploadRecord:
    id: str
    filename: str
    purpose: str
    bytes: int
    mime_type: str
    created_at: float
    expires_at: float
    status: str = "pending"
    file_id: str | None = None
    file_expires_after: int | None = None

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": self.status,
            "bytes": self.bytes,
            "file_id": self.file_id,
        }


@dataclass
class JobRecord:
    """A fine-tuning job; its phase and outputs are derived by timeline.py and jobs.advance().

    `status` holds the terminal status once reached (`succeeded`, `failed`, `cancelled`) and the
    last phase seen before that. `pauses` lists `[requested_at, resume_requested_at or None]`.
    `failure` is what will fail the job and `fails_at` when (a fraction of its active time).
    """

    id: str
    created_at: float
    duration: float
    transition: float
    model: str
    training_file: str
    validation_file: str | None
    seed: int
    suffix: str | None
    metadata: dict[str, str] | None
    hyperparameters: dict[str, Any]
    method: dict[str, Any]
    training_type: str
    examples: int
    tokens_per_epoch: int
    fine_tuned_model_name: str
    failure: dict[str, Any] | None = None
    fails_at: float = 0.5
    status: str = "validating_files"
    finished_at: float | None = None
    fine_tuned_model: str | None = None
    trained_tokens: int | None = None
    result_file: str | None = None
    error: dict[str, Any] | None = None
    pauses: list[list[float | None]] = field(default_factory=list)
    deleted: bool = False

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "model": self.model,
            "fine_tuned_model": self.fine_tuned_model,
            "suffix": self.suffix,
            "metadata": self.metadata,
            "training_file": self.training_file,
            "validation_file": self.validation_file,
            "seed": self.seed,
            "training_type": self.training_type,
            "created_at": self.created_at,
            "deleted": self.deleted,
        }


@dataclass
class ExampleSet:
    """A job's training examples as (prompt text, assistant reply): what its models answer from."""

    job_id: str
    pairs: list[list[str]]


@dataclass
class DeploymentRecord:
    """An ARM deployment under one account (`scope`); answers chat once Succeeded and ready.

    `kind` is `base` or `fine-tuned`; a fine-tuned deployment names its `job_id` and, for a
    checkpoint, its `step`. `gone_at` is set while a delete is in progress.
    """

    name: str
    scope: str
    model: str
    model_format: str
    model_version: str
    sku_name: str
    sku_capacity: int
    properties: dict[str, Any]
    created_at: float
    ready_at: float
    not_ready_until: float
    kind: str = "base"
    job_id: str | None = None
    step: int | None = None
    tags: dict[str, str] | None = None
    modified_at: float | None = None
    provisioning_state: str = "Creating"
    gone_at: float | None = None

    @property
    def key(self) -> str:
        return deployment_key(self.scope, self.name)

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "scope": self.scope,
            "model": self.model,
            "version": self.model_version,
            "kind": self.kind,
            "provisioning_state": self.provisioning_state,
            "sku": {"name": self.sku_name, "capacity": self.sku_capacity},
        }


def deployment_key(scope: str, name: str) -> str:
    """ARM resource ids compare case-insensitively."""
    return f"{scope}/deployments/{name}".lower()


@dataclass
class OperationRecord:
    """An ARM long-running operation, polled through Azure-AsyncOperation and Location."""

    id: str
    kind: str
    deployment: str
    started_at: float
    done_at: float


Record = TypeVar("Record")


def _encode(record: Any) -> dict[str, Any]:
    """A record as JSON; bytes fields as base64 (state files are for development-size data)."""
    return {
        f.name: (
            base64.b64encode(value).decode() if isinstance(value := getattr(record, f.name), bytes) else value
        )
        for f in dataclasses.fields(record)
    }


def _decode(cls: type[Record], data: dict[str, Any]) -> Record:
    values = {
        f.name: (base64.b64decode(data[f.name]) if f.type == "bytes" else data[f.name])
        for f in dataclasses.fields(cls)  # type: ignore[arg-type]
        if f.name in data
    }
    return cls(**values)


def _key(record: Any) -> str:
    if isinstance(record, DeploymentRecord):
        return record.key
    if isinstance(record, ExampleSet):
        return record.job_id
    return str(record.id)


@dataclass
class Store:
    """All records by id (deployments by their lower-cased ARM resource id)."""

    files: dict[str, FileRecord] = field(default_factory=dict)
    parts: dict[str, PartRecord] = field(default_factory=dict)
    uploads: dict[str, UploadRecord] = field(default_factory=dict)
    jobs: dict[str, JobRecord] = field(default_factory=dict)
    examples: dict[str, ExampleSet] = field(default_factory=dict)
    deployments: dict[str, DeploymentRecord] = field(default_factory=dict)
    operations: dict[str, OperationRecord] = field(default_factory=dict)

    TABLES: ClassVar[dict[str, type]] = {
        "files": FileRecord,
        "parts": PartRecord,
        "uploads": UploadRecord,
        "jobs": JobRecord,
        "examples": ExampleSet,
        "deployments": DeploymentRecord,
        "operations": OperationRecord,
    }

    def clear(self) -> None:
        for table in self.TABLES:
            getattr(self, table).clear()

    def dump(self) -> dict[str, Any]:
        """The admin view: summaries without file contents."""
        return {
            "files": [r.summary() for r in self.files.values()],
            "uploads": [r.summary() for r in self.uploads.values()],
            "jobs": [r.summary() for r in self.jobs.values()],
            "deployments": [r.summary() for r in self.deployments.values()],
        }

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        data = {table: [_encode(r) for r in getattr(self, table).values()] for table in self.TABLES}
        fd, temp = tempfile.mkstemp(dir=directory, prefix=".state-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as handle:
                json.dump(data, handle)
            os.replace(temp, directory / STATE_FILE)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    def load(self, directory: Path) -> None:
        path = directory / STATE_FILE
        if not path.exists():
            return
        data = json.loads(path.read_text())
        for table, cls in self.TABLES.items():
            records: list[Any] = [_decode(cls, item) for item in data.get(table, [])]
            getattr(self, table).update({_key(r): r for r in records})
