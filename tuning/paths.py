"""Names inside the dataset container: run folders, dataset blobs, report folders.

Every blob path that arrives from outside (an HTTP body, a blob event) goes through
`confined_blob_path`, so a caller can name blobs in the configured container and nothing else:
no URLs, no other container, no `..`, no absolute or backslash paths.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

from tuning.failures import PipelineError

__all__ = [
    "DATASET_FILES",
    "INCOMING",
    "RUN_OPTIONS_FILE",
    "IncomingBlob",
    "attempt_name",
    "check_run_name",
    "confined_blob_path",
    "parse_incoming",
    "report_folder",
    "run_folder",
    "shortened_name",
]

# Full-string matches only (`fullmatch`): `$` would let a trailing newline through.
RUN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")
NAME_HASH_LENGTH = 8
INCOMING = "incoming"
DATASET_FILES = {"training.jsonl": "training", "validation.jsonl": "validation", "eval.jsonl": "eval"}
RUN_OPTIONS_FILE = "run.json"


def check_run_name(run: str) -> str:
    if not isinstance(run, str) or not RUN_NAME.fullmatch(run):
        raise PipelineError(
            "invalid_run_name",
            f"run name {run!r} must be 1-63 characters: letters, digits, '_', '-', '.', "
            "starting with a letter or digit",
        )
    return run


def confined_blob_path(path: str) -> str:
    """Return the path if it names a blob inside the container, else raise `invalid_path`."""
    if not isinstance(path, str) or not path:
        raise PipelineError("invalid_path", "a blob path must be a non-empty string")
    if "://" in path or path.startswith(("/", "~")) or ":" in path.split("/", maxsplit=1)[0]:
        raise PipelineError(
            "invalid_path", f"{path!r} must be a path inside the container, not a URL or an absolute path"
        )
    if "\\" in path or any(ord(ch) < 32 or ord(ch) == 127 for ch in path):
        raise PipelineError("invalid_path", f"{path!r} contains a backslash or a control character")
    segments = path.split("/")
    if any(segment in ("", ".", "..") for segment in segments):
        raise PipelineError("invalid_path", f"{path!r} has an empty, '.' or '..' segment")
    if len(path) > 1024:
        raise PipelineError("invalid_path", "a blob path is at most 1024 characters")
    return path


def shortened_name(base: str, limit: int) -> str:
    """`base` if it fits in `limit` characters, else a prefix of it plus a hash of all of it, so
    two long names that share a beginning never shorten to the same name."""
    if len(base) <= limit:
        return base
    digest = hashlib.sha256(base.encode()).hexdigest()[:NAME_HASH_LENGTH]
    return f"{base[: limit - NAME_HASH_LENGTH - 1].rstrip('-_.')}-{digest}"


def run_folder(run: str) -> str:
    return f"{INCOMING}/{check_run_name(run)}/"


def attempt_name(started: datetime) -> str:
    """The report folder of one attempt: the orchestration's start time, e.g. 20261128T211500Z."""
    return started.strftime("%Y%m%dT%H%M%SZ")


def report_folder(run: str, attempt: str) -> str:
    return f"runs/{check_run_name(run)}/{attempt}/"


@dataclass(frozen=True)
class IncomingBlob:
    """What a blob event under incoming/ means for the pipeline."""

    run: str
    file_name: str

    @property
    def kind(self) -> str | None:
        """`training`, `validation`, `options`, or None for a file the pipeline ignores."""
        if self.file_name == RUN_OPTIONS_FILE:
            return "options"
        return DATASET_FILES.get(self.file_name)


def parse_incoming(blob_name: str) -> IncomingBlob | None:
    """`incoming/<run>/<file>` -> IncomingBlob; anything else (or a bad run name) -> None."""
    parts = blob_name.split("/")
    if len(parts) != 3 or parts[0] != INCOMING or not RUN_NAME.fullmatch(parts[1]):
        return None
    return IncomingBlob(run=parts[1], file_name=parts[2])
