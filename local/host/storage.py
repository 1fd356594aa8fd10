"""Blob storage as the host's triggers and bindings use it: clients per connection setting, lazy streams.

A `BlobStream` is the `func.InputStream` a function receives: it fetches the blob in ranges as
the function reads, conditioned on the ETag the host saw, so a function that only looks at the
name never downloads the blob and one that reads it holds one range at a time.
"""

from __future__ import annotations

import os
from typing import Any

from azure.core import MatchConditions
from azure.functions.blob import InputStream
from azure.identity import DefaultAzureCredential
from azure.storage.blob import BlobClient, BlobProperties, BlobServiceClient

__all__ = ["CHUNK_BYTES", "BlobStream", "blob_properties", "service_client"]

CHUNK_BYTES = 4 * 1024 * 1024
"""The range a BlobStream fetches per request (and the largest piece of a blob it holds)."""

_clients: dict[tuple[str, str], BlobServiceClient] = {}


def service_client(connection: str) -> BlobServiceClient:
    """A connection setting holds a connection string, or `<name>__blobServiceUri` for identity.

    As the host does, a setting named `X` is also looked up as `AzureWebJobsX`.
    """
    for name in (connection, f"AzureWebJobs{connection}"):
        if os.environ.get(name):
            return _cached(name, os.environ[name], BlobServiceClient.from_connection_string)
        uri = os.environ.get(f"{name}__blobServiceUri") or os.environ.get(f"{name}__serviceUri")
        if uri:
            return _cached(
                name, uri, lambda text: BlobServiceClient(text, credential=DefaultAzureCredential())
            )
    raise KeyError(f"the connection setting '{connection}' (or '{connection}__blobServiceUri') is not set")


def _cached(name: str, value: str, build: Any) -> BlobServiceClient:
    """Clients are reused per setting and value (the value may change between tests)."""
    key = (name, value)
    if key not in _clients:
        _clients[key] = build(value)
    return _clients[key]


def blob_properties(properties: BlobProperties) -> dict[str, Any]:
    """The blob's properties as the Python worker exposes them (`InputStream.blob_properties`)."""
    settings = properties.content_settings
    return {
        "ContentLength": properties.size,
        "ContentType": settings.content_type if settings else None,
        "ETag": properties.etag,
        "LastModified": properties.last_modified.isoformat() if properties.last_modified else None,
        "CreatedOn": properties.creation_time.isoformat() if properties.creation_time else None,
        "BlobType": str(properties.blob_type),
    }


class BlobStream(InputStream):
    """A `func.InputStream` over one blob version, read lazily in ranges of `CHUNK_BYTES`."""

    def __init__(self, blob: BlobClient, properties: BlobProperties, *, container: str) -> None:
        super().__init__(
            data=b"",
            name=f"{container}/{properties.name}",
            uri=blob.url,
            length=properties.size,
            blob_properties=blob_properties(properties),
            metadata=dict(properties.metadata or {}),
        )
        self._blob = blob
        self._etag = properties.etag
        self._offset = 0
        self.bytes_read = 0
        """Bytes fetched from storage so far: what the host spent on this blob."""

    def _fetch(self, size: int) -> bytes:
        length = min(size, (self.length or 0) - self._offset)
        if length <= 0:
            return b""
        data = self._blob.download_blob(
            offset=self._offset, length=length, etag=self._etag, match_condition=MatchConditions.IfNotModified
        ).readall()
        self._offset += len(data)
        self.bytes_read += len(data)
        return data

    def read(self, size: int | None = -1) -> bytes:
        """Up to `size` bytes (all that is left when negative), fetched a range at a time."""
        remaining = (self.length or 0) - self._offset if size is None or size < 0 else size
        parts = []
        while remaining > 0 and (chunk := self._fetch(min(remaining, CHUNK_BYTES))):
            parts.append(chunk)
            remaining -= len(chunk)
        return b"".join(parts)

    def read1(self, size: int | None = -1) -> bytes:
        """At most one range."""
        return self._fetch(CHUNK_BYTES if size is None or size < 0 else min(size, CHUNK_BYTES))
