"""The dataset container: run folders in, reports out.

Datasets are only ever read (streamed, never loaded whole); reports are the only blobs written.
A run pins each dataset at resolve time (its ETag, SHA-256 and size) and every later read asks
storage for exactly that version: a blob replaced after validation fails the read with
`dataset_changed` instead of sending unvalidated bytes to training.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, BinaryIO

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.storage.blob import ContainerClient, ContentSettings, StorageStreamDownloader

from tuning.failures import PipelineError
from tuning.paths import DATASET_FILES, RUN_OPTIONS_FILE, confined_blob_path, run_folder
from tuning.payloads import DatasetKind, PinnedBlob

__all__ = ["CHUNK", "MAX_OPTIONS_BYTES", "DatasetStore", "RunFile", "etag_of"]

CHUNK = 4 * 1024 * 1024
MAX_OPTIONS_BYTES = 256 * 1024


@dataclass(frozen=True)
class RunFile:
    """A file of a run folder as listed: its role, path and current version."""

    role: str  # training, validation, eval or options
    path: str
    etag: str


def etag_of(value: object) -> str:
    """One spelling of a blob version: listings give ETags bare, response headers quoted."""
    return str(value).strip('"')


class _ChunkReader(io.RawIOBase):
    """A blob download as a file object, optionally checking that the bytes are the pinned ones.

    The check runs as the bytes stream through (to the validator, or into an upload request), and
    a mismatch raises before the last byte is handed over, so a consumer never completes with
    bytes that differ from the pinned dataset.
    """

    def __init__(self, chunks: Iterator[bytes], expected: PinnedBlob | None = None) -> None:
        self._chunks = chunks
        self._buffer = b""
        self._expected = expected
        self._sha = hashlib.sha256()
        self._size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self._buffer:
            try:
                self._buffer = next(self._chunks)
            except StopIteration:
                self._check_complete()
                return 0
            self._sha.update(self._buffer)
            self._size += len(self._buffer)
        size = min(len(target), len(self._buffer))
        target[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size

    def _check_complete(self) -> None:
        expected = self._expected
        if expected and (self._size != expected.size or self._sha.hexdigest() != expected.sha256):
            raise PipelineError(
                "dataset_changed",
                f"{expected.path} no longer holds the bytes this run validated "
                f"(sha256 {expected.sha256[:12]}…)",
            )


class DatasetStore:
    def __init__(self, container: ContainerClient) -> None:
        self.container = container

    @property
    def name(self) -> str:
        return self.container.container_name

    def ensure_container(self) -> None:
        with suppress(ResourceExistsError):
            self.container.create_container()

    def run_files(self, run: str) -> list[RunFile]:
        """The run folder's known files with their current versions."""
        prefix = run_folder(run)
        found = []
        try:
            for blob in self.container.list_blobs(name_starts_with=prefix):
                file_name = blob.name[len(prefix) :]
                role = "options" if file_name == RUN_OPTIONS_FILE else DATASET_FILES.get(file_name)
                if role:
                    found.append(RunFile(role=role, path=blob.name, etag=etag_of(blob.etag)))
        except ResourceNotFoundError:  # no container yet: nothing has been uploaded
            return []
        return found

    def exists(self, path: str) -> bool:
        return bool(self.container.get_blob_client(confined_blob_path(path)).exists())

    def etag(self, path: str) -> str | None:
        try:
            return etag_of(
                self.container.get_blob_client(confined_blob_path(path)).get_blob_properties().etag
            )
        except ResourceNotFoundError:
            return None

    def _download(self, path: str, etag: str | None = None) -> StorageStreamDownloader[bytes]:
        conditions: dict[str, Any] = {}
        if etag:
            conditions = {"etag": f'"{etag}"', "match_condition": MatchConditions.IfNotModified}
        try:
            return self.container.download_blob(confined_blob_path(path), max_concurrency=1, **conditions)
        except ResourceNotFoundError:
            if etag:
                raise PipelineError(
                    "dataset_changed", f"{path} was deleted after this run pinned it"
                ) from None
            raise PipelineError(
                "missing_file", f"blob {path!r} does not exist in container {self.name!r}"
            ) from None
        except ResourceModifiedError:
            raise PipelineError(
                "dataset_changed", f"{path} was replaced after this run pinned it (ETag {etag})"
            ) from None

    def read_options(self, path: str) -> tuple[object, str]:
        """run.json, parsed, with the ETag of the version read."""
        downloader = self._download(path)
        data = downloader.readall()
        if len(data) > MAX_OPTIONS_BYTES:
            raise PipelineError("invalid_options", f"{path}: larger than {MAX_OPTIONS_BYTES // 1024} KB")
        try:
            return json.loads(data.decode("utf-8-sig")), etag_of(downloader.properties.etag)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise PipelineError("invalid_options", f"{path}: not valid JSON ({error})") from None
        except RecursionError:
            raise PipelineError("invalid_options", f"{path}: nested too deeply") from None

    def read_json(self, path: str) -> object:
        """A JSON blob this service wrote (evaluation answers, a report)."""
        return json.loads(self._download(path).readall())

    def pin(self, path: str, kind: DatasetKind) -> PinnedBlob:
        """ETag, SHA-256 and size of the blob's current version, streamed chunk by chunk.

        The download's later chunks are read with If-Match on the first response's ETag, so the
        hash and the ETag describe one and the same version.
        """
        downloader = self._download(path)
        sha = hashlib.sha256()
        size = 0
        for chunk in downloader.chunks():
            sha.update(chunk)
            size += len(chunk)
        return PinnedBlob(
            kind=kind, path=path, sha256=sha.hexdigest(), size=size, etag=etag_of(downloader.properties.etag)
        )

    def open_pinned(self, blob: PinnedBlob) -> BinaryIO:
        """Exactly the pinned version, or `dataset_changed`."""
        downloader = self._download(blob.path, blob.etag)
        return io.BufferedReader(_ChunkReader(downloader.chunks(), blob), buffer_size=CHUNK)

    def open_stream(self, path: str) -> BinaryIO:
        """The blob's current version (for validating a blob on request, nothing pinned)."""
        return io.BufferedReader(_ChunkReader(self._download(path).chunks()), buffer_size=CHUNK)

    def create_once(self, path: str) -> bool:
        """Create an empty marker blob; False when it exists already (storage decides, atomically)."""
        try:
            self.container.upload_blob(confined_blob_path(path), b"", overwrite=False)
        except ResourceExistsError:
            return False
        return True

    def delete(self, path: str) -> None:
        """Remove a blob this service wrote (never a dataset); an absent one is already gone."""
        with suppress(ResourceNotFoundError):
            self.container.delete_blob(confined_blob_path(path))

    def write_text(self, path: str, text: str, content_type: str) -> str:
        self.container.upload_blob(
            confined_blob_path(path),
            text.encode("utf-8"),
            overwrite=True,
            content_settings=ContentSettings(content_type=content_type),
        )
        return path

    def write_json(self, path: str, document: object) -> str:
        return self.write_text(path, json.dumps(document, indent=2, sort_keys=True), "application/json")
