"""Blob triggers by polling, with blob receipts kept in the storage account as the real host does.

A blob version (name + ETag) fires its function once: after a successful invocation (or after
the last failed attempt) the host writes
`azure-webjobs-hosts/blobreceipts/<hostId>/<functionId>/<etag>/<container>/<blob>`, and the next
poll, in this process or after a restart, skips blobs that have a receipt. A crash between the
invocation and the receipt fires the blob again: blob triggers are at-least-once on Azure too.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError
from azure.functions.blob import InputStream
from azure.storage.blob import BlobServiceClient

from local.host.indexing import BlobFunction
from local.host.settings import resolve

log = logging.getLogger("devhost.blob")

RECEIPTS_CONTAINER = "azure-webjobs-hosts"


@dataclass(frozen=True)
class BlobPath:
    """A trigger path `container/pattern` with {parameters}: where to list, what matches."""

    container: str
    prefix: str
    pattern: re.Pattern

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


def service_client(connection: str) -> BlobServiceClient:
    """A connection setting holds a connection string, or `<name>__blobServiceUri` for identity."""
    if os.environ.get(connection):
        return BlobServiceClient.from_connection_string(os.environ[connection])
    uri = os.environ.get(f"{connection}__blobServiceUri") or os.environ.get(f"{connection}__serviceUri")
    if uri:
        from azure.identity import DefaultAzureCredential

        return BlobServiceClient(uri, credential=DefaultAzureCredential())
    raise KeyError(f"the connection setting '{connection}' (or '{connection}__blobServiceUri') is not set")


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

    def new_blobs(self) -> list[BlobVersion]:
        """Blob versions that match the path and have no receipt yet."""
        container = self.service.get_container_client(self.path.container)
        if not container.exists():
            return []
        receipts = self.service.get_container_client(RECEIPTS_CONTAINER)
        try:
            receipts.create_container()
        except ResourceExistsError:
            pass
        done = {item.name for item in receipts.list_blobs(name_starts_with=self.receipt_prefix)}
        found = (
            BlobVersion(item.name, item.etag.strip('"'), item.size)
            for item in container.list_blobs(name_starts_with=self.path.prefix)
            if self.path.pattern.fullmatch(item.name)
        )
        return [blob for blob in found if self.receipt(blob) not in done]

    async def fire(self, blob: BlobVersion) -> None:
        client = self.service.get_blob_client(self.path.container, blob.name)
        data = await asyncio.to_thread(
            lambda: client.download_blob(
                etag=f'"{blob.etag}"', match_condition=MatchConditions.IfNotModified
            ).readall()
        )
        stream = InputStream(
            data=data, name=f"{self.path.container}/{blob.name}", uri=client.url, length=len(data)
        )
        try:
            await self.function.call(stream, self.client_json())
        except Exception:
            attempts = self.failures[blob] = self.failures.get(blob, 0) + 1
            log.exception(
                "Function '%s' failed for %s (attempt %d of %d)",
                self.function.name,
                stream.name,
                attempts,
                self.max_attempts,
            )
            if attempts < self.max_attempts:
                return
            log.error("Giving up on %s for '%s' after %d attempts", stream.name, self.function.name, attempts)
            status = "failed"
        else:
            log.info("Executed '%s' for %s (etag %s)", self.function.name, stream.name, blob.etag)
            status = "completed"
        self.failures.pop(blob, None)
        await asyncio.to_thread(
            self.service.get_blob_client(RECEIPTS_CONTAINER, self.receipt(blob)).upload_blob,
            b"",
            overwrite=True,
            metadata={"status": status},
        )
