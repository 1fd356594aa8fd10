"""The dataset container: run folders in, reports out.

Datasets are only ever read (streamed, never loaded whole); reports are the only blobs written.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from typing import BinaryIO

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.storage.blob import ContainerClient, ContentSettings

from tuning.paths import DATASET_FILES, RUN_OPTIONS_FILE, confined_blob_path, run_folder

CHUNK = 4 * 1024 * 1024


class BlobMissingError(FileNotFoundError):
    """A dataset blob named by a run does not exist."""


@dataclass(frozen=True)
class BlobDigest:
    path: str
    sha256: str
    size: int


class _BlobRaw(io.RawIOBase):
    """Adapts a blob download to a file object so the validator can stream it line by line."""

    def __init__(self, downloader) -> None:
        self._chunks = downloader.chunks()
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        while not self._buffer:
            try:
                self._buffer = next(self._chunks)
            except StopIteration:
                return 0
        size = min(len(target), len(self._buffer))
        target[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size


class DatasetStore:
    def __init__(self, container: ContainerClient) -> None:
        self.container = container

    @property
    def name(self) -> str:
        return self.container.container_name

    def ensure_container(self) -> None:
        try:
            self.container.create_container()
        except ResourceExistsError:
            pass

    def run_files(self, run: str) -> dict[str, str]:
        """The run folder's known files by role: training, validation, options."""
        found: dict[str, str] = {}
        prefix = run_folder(run)
        for blob in self.container.list_blobs(name_starts_with=prefix):
            file_name = blob.name[len(prefix) :]
            if file_name in DATASET_FILES:
                found[DATASET_FILES[file_name]] = blob.name
            elif file_name == RUN_OPTIONS_FILE:
                found["options"] = blob.name
        return found

    def exists(self, path: str) -> bool:
        return self.container.get_blob_client(confined_blob_path(path)).exists()

    def _download(self, path: str):
        try:
            return self.container.download_blob(confined_blob_path(path), max_concurrency=1)
        except ResourceNotFoundError:
            raise BlobMissingError(f"blob {path!r} does not exist in container {self.name!r}") from None

    def read_json(self, path: str) -> object:
        data = self._download(path).readall()
        try:
            return json.loads(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ValueError(f"{path}: not valid JSON ({error})") from None

    def open_stream(self, path: str) -> BinaryIO:
        return io.BufferedReader(_BlobRaw(self._download(path)), buffer_size=CHUNK)

    def digest(self, path: str) -> BlobDigest:
        """SHA-256 and size, streamed chunk by chunk so a large dataset never sits in memory."""
        sha = hashlib.sha256()
        size = 0
        for chunk in self._download(path).chunks():
            sha.update(chunk)
            size += len(chunk)
        return BlobDigest(path=path, sha256=sha.hexdigest(), size=size)

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
