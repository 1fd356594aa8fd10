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
from typing import Any, TypeVar

STATE_FILE = "state.json"


def new_id(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(16)}"


def now() -> float:
    return time.time()


@dataclass
class FileRecord:
    """An uploaded (or result) file; `problem` is decided at upload and shown once processed."""

    id: str
    filename: str
    purpose: str
    content: bytes
    created_at: float
    ready_at: float
    problem: str | None = None
    status: str = "pending"

    @property
    def bytes(self) -> int:
        return len(self.content)

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "file",
            "bytes": self.bytes,
            "created_at": int(self.created_at),
            "filename": self.filename,
            "purpose": self.purpose,
            "status": self.status,
            "status_details": self.problem if self.status == "error" else None,
            "expires_at": None,
        }

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": self.status,
            "bytes": self.bytes,
        }


@dataclass
class PartRecord:
    id: str
    upload_id: str
    created_at: float
    data: bytes

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "upload.part",
            "created_at": int(self.created_at),
            "upload_id": self.upload_id,
        }


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
    """A fine-tuning job; `status` and the outputs are filled in by jobs.advance()."""

    id: str
    created_at: float
    duration: float
    model: str
    training_file: str
    validation_file: str | None
    seed: int
    suffix: str | None
    metadata: dict[str, str] | None
    hyperparameters: dict[str, Any]
    method: dict[str, Any]
    training_type: Any
    examples: int
    tokens_per_epoch: int
    fine_tuned_model_name: str
    failure: dict[str, str] | None = None
    status: str = "validating_files"
    cancelled_at: float | None = None
    finished_at: float | None = None
    fine_tuned_model: str | None = None
    trained_tokens: int | None = None
    result_file: str | None = None
    error: dict[str, str] | None = None

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
            "created_at": self.created_at,
        }


@dataclass
class DeploymentRecord:
    """An ARM deployment; usable for chat only once Succeeded and past `not_ready_until`."""

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
    provisioning_state: str = "Creating"

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "model": self.model,
            "provisioning_state": self.provisioning_state,
            "sku": {"name": self.sku_name, "capacity": self.sku_capacity},
        }


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
        for f in dataclasses.fields(cls)
        if f.name in data
    }
    return cls(**values)


@dataclass
class Store:
    """All records by id (deployments by name: the emulator is one Azure OpenAI account)."""

    files: dict[str, FileRecord] = field(default_factory=dict)
    parts: dict[str, PartRecord] = field(default_factory=dict)
    uploads: dict[str, UploadRecord] = field(default_factory=dict)
    jobs: dict[str, JobRecord] = field(default_factory=dict)
    deployments: dict[str, DeploymentRecord] = field(default_factory=dict)
    operations: dict[str, OperationRecord] = field(default_factory=dict)

    _TABLES = {
        "files": FileRecord,
        "parts": PartRecord,
        "uploads": UploadRecord,
        "jobs": JobRecord,
        "deployments": DeploymentRecord,
        "operations": OperationRecord,
    }

    def clear(self) -> None:
        for table in self._TABLES:
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
        data = {table: [_encode(r) for r in getattr(self, table).values()] for table in self._TABLES}
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
        for table, cls in self._TABLES.items():
            records = [_decode(cls, item) for item in data.get(table, [])]
            getattr(self, table).update({(r.name if cls is DeploymentRecord else r.id): r for r in records})
