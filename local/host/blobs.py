"""Blob triggers by polling, with blob receipts kept in the storage account as the real host does.

A blob version (name + ETag) fires its function once: after a successful invocation (or after
the last failed attempt) the host writes
`azure-webjobs-hosts/blobreceipts/<hostId>/<functionId>/<etag>/<container>/<blob>`, and the next
poll, in this process or after a restart, skips blobs that have a receipt. A crash between the
invocation and the receipt fires the blob again: blob triggers are at-least-once on Azure too.

The function gets a `func.InputStream` that reads the blob lazily (`BlobStream`), so a function
that only needs the name costs no download; `str` and `bytes` parameters get the whole blob, as
the worker's generic binding gives them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from azure.core.exceptions import ResourceExistsError
from azure.storage.blob import BlobProperties

from local.host.indexing import BlobFunction
from local.host.invoke import invoke_async
from local.host.settings import resolve
from local.host.storage import BlobStream, blob_properties, service_client

__all__ = ["RECEIPTS_CONTAINER", "BlobPath", "BlobTrigger", "BlobVersion"]

log = logging.getLogger("devhost.blob")

RECEIPTS_CONTAINER = "azure-webjobs-hosts"


@dataclass(frozen=True)
class BlobPath:
    """A trigger path `container/pattern` with {parameters}: where to list, what matches."""

    container: str
    prefix: str
    pattern: re.Pattern[str]

    @classmethod
    def parse(cls, path: str) -> BlobPath:
        container, _, blob_pattern = resolve(path).partition("/")
        prefix = blob_pattern.split("{", 1)[0]
        regex = "".join(
            f"(?P<{part[1:-1]}>[^/]+)" if part.startswith("{") else re.escape(part)
            for part in re.split(r"(\{\w+\})", blob_pattern)
            if part
        )
        return cls(container, prefix, re.compile(regex or ".+"))


@dataclass(frozen=True)
class BlobVersion:
    name: str
    etag: str
    size: int


class BlobTrigger:
    def __init__(
        self, function: BlobFunction, host_id: str, client_json: Callable[[], str], max_attempts: int = 3
    ) -> None:
        self.function = function
        self.path = BlobPath.parse(function.path)
        self.service = service_client(function.connection)
        self.receipt_prefix = f"blobreceipts/{host_id}/Host.Functions.{function.name}/"
        self.client_json = client_json
        self.max_attempts = max_attempts
        self.failures: dict[BlobVersion, int] = {}

    def receipt(self, blob: BlobVersion) -> str:
        return f"{self.receipt_prefix}{blob.etag}/{self.path.container}/{blob.name}"

    async def run(self, interval: float) -> None:
        log.info(
            "Polling %s/%s for '%s' every %.1f s",
            self.path.container,
            self.path.prefix,
            self.function.name,
            interval,
        )
        while True:
            try:
                for blob in await asyncio.to_thread(self.new_blobs):
                    await self.fire(blob)
            except Exception:
                log.exception("Polling for '%s' failed; trying again", self.function.name)
            await asyncio.sleep(interval)

    def new_blobs(self) -> list[BlobProperties]:
        """Blob versions that match the path and have no receipt yet."""
        container = self.service.get_container_client(self.path.container)
        if not container.exists():
            return []
        receipts = self.service.get_container_client(RECEIPTS_CONTAINER)
        with contextlib.suppress(ResourceExistsError):
            receipts.create_container()
        done = {item.name for item in receipts.list_blobs(name_starts_with=self.receipt_prefix)}
        return [
            item
            for item in container.list_blobs(name_starts_with=self.path.prefix, include=["metadata"])
            if self.path.pattern.fullmatch(item.name) and self.receipt(_version(item)) not in done
        ]

    def _argument(self, properties: BlobProperties) -> tuple[Any, BlobStream | None]:
        """The trigger parameter's value: a lazy stream, or the whole blob for a `str`/`bytes` parameter."""
        client = self.service.get_blob_client(self.path.container, properties.name)
        stream = BlobStream(client, properties, container=self.path.container)
        if self.function.annotation not in (str, bytes):
            return stream, stream
        content = stream.read()
        return (content if self.function.annotation is bytes else content.decode("utf-8", "replace")), None

    def _binding_data(self, properties: BlobProperties) -> dict[str, Any]:
        match = self.path.pattern.fullmatch(properties.name)
        return {
            **(match.groupdict() if match else {}),
            "BlobTrigger": f"{self.path.container}/{properties.name}",
            "Properties": blob_properties(properties),
            "Metadata": dict(properties.metadata or {}),
        }

    async def fire(self, properties: BlobProperties) -> int:
        """Invoke the function for one blob version and record its receipt; the bytes downloaded."""
        blob = _version(properties)
        name = f"{self.path.container}/{blob.name}"
        argument, stream = await asyncio.to_thread(self._argument, properties)
        try:
            await invoke_async(self.function, argument, self._binding_data(properties), self.client_json())
            status = "completed"
        except Exception:
            attempts = self.failures[blob] = self.failures.get(blob, 0) + 1
            log.exception(
                "Function '%s' failed for %s (attempt %d of %d)",
                self.function.name,
                name,
                attempts,
                self.max_attempts,
            )
            if attempts < self.max_attempts:
                return stream.bytes_read if stream else blob.size
            status = "failed"
        read = stream.bytes_read if stream else blob.size
        log.info(
            "Executed '%s' for %s: %s (etag %s, read %d of %d bytes)",
            self.function.name,
            name,
            status,
            blob.etag,
            read,
            blob.size,
        )
        self.failures.pop(blob, None)
        await asyncio.to_thread(
            self.service.get_blob_client(RECEIPTS_CONTAINER, self.receipt(blob)).upload_blob,
            b"",
            overwrite=True,
            metadata={"status": status},
        )
        return read


def _version(properties: BlobProperties) -> BlobVersion:
    return BlobVersion(properties.name, str(properties.etag).strip('"'), properties.size)
