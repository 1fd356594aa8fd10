"""A blob trigger's stream reads from storage only what the function reads (bounded memory on big blobs).

The measure is the bytes the host downloads (counted by its `BlobStream`), not time or RSS: a
function that ignores a big blob must cost no download, one that reads its head only that head.
"""

from __future__ import annotations

import asyncio
import os
import uuid

import azure.functions as func
import pytest
from azure.storage.blob import BlobServiceClient, ContainerClient

from local.host.blobs import BlobTrigger
from local.host.indexing import index
from local.host.storage import CHUNK_BYTES
from local.processes import Service

BIG = 3 * CHUNK_BYTES + 12_345
HEAD = 1024 * 1024

app = func.FunctionApp()
seen: dict[str, object] = {}


@app.blob_trigger(arg_name="blob", path="%STREAM_CONTAINER%/ignored/{name}", connection="StreamStorage")
def only_the_name(blob: func.InputStream) -> None:
    seen["ignored"] = (blob.name, blob.length)


@app.blob_trigger(arg_name="blob", path="%STREAM_CONTAINER%/sniffed/{name}", connection="StreamStorage")
def only_the_head(blob: func.InputStream) -> None:
    seen["head"] = blob.read(HEAD)[:4]


@app.blob_trigger(arg_name="blob", path="%STREAM_CONTAINER%/whole/{name}", connection="StreamStorage")
def all_of_it(blob: bytes) -> None:
    seen["whole"] = len(blob)


@pytest.fixture
def container(azurite: Service, monkeypatch: pytest.MonkeyPatch) -> ContainerClient:
    monkeypatch.setenv("StreamStorage", azurite.extra["connection_string"])
    monkeypatch.setenv("STREAM_CONTAINER", f"stream-{uuid.uuid4().hex[:8]}")
    client = BlobServiceClient.from_connection_string(azurite.extra["connection_string"])
    container = client.get_container_client(os.environ["STREAM_CONTAINER"])
    container.create_container()
    return container


def fire_all(function_name: str) -> list[int]:
    """Poll once for the function and fire it for every new blob; the bytes downloaded per blob."""
    [function] = [blob for blob in index(app).blobs if blob.name == function_name]
    trigger = BlobTrigger(function, f"test-{uuid.uuid4().hex[:6]}", lambda: "{}")
    downloaded = [asyncio.run(trigger.fire(properties)) for properties in trigger.new_blobs()]
    assert trigger.new_blobs() == []  # receipts written: each version fires once
    return downloaded


def test_a_big_blob_the_function_ignores_is_never_downloaded(container: ContainerClient):
    content = os.urandom(BIG)
    for folder in ("ignored", "sniffed", "whole"):
        container.upload_blob(f"{folder}/big.bin", content)
    assert fire_all("only_the_name") == [0]
    assert seen["ignored"] == (f"{container.container_name}/ignored/big.bin", BIG)
    assert fire_all("only_the_head") == [HEAD]
    assert seen["head"] == content[:4]
    # a `bytes` parameter asks for the whole blob, as the worker's generic binding gives it
    assert fire_all("all_of_it") == [BIG]
    assert seen["whole"] == BIG
