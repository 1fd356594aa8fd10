"""Files and uploads on both styles, answers and refusals checked against the specs."""

from __future__ import annotations

import io
import time

import httpx2
import openai
import pytest

from local.processes import REPO
from tests.contract.coverage import covers

JSONL = (REPO / "data" / "sample" / "training.jsonl").read_bytes()


def processed(client: openai.OpenAI, file_id: str) -> str:
    deadline = time.monotonic() + 10
    while (status := client.files.retrieve(file_id).status) not in ("processed", "error"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return status


@covers(
    azure=("Files_Upload", "Files_Get", "Files_List", "Files_GetContent", "Files_Delete"),
    v1=("createFile", "retrieveFile", "listFiles", "downloadFile", "deleteFile"),
)
def test_file_lifecycle(client: openai.OpenAI) -> None:
    assert client.files.list().data == []  # an empty page
    created = client.files.create(
        file=("training.jsonl", io.BytesIO(JSONL)),
        purpose="fine-tune",
        expires_after={"anchor": "created_at", "seconds": 1_209_600},
    )
    assert processed(client, created.id) == "processed"
    assert [f.id for f in client.files.list(purpose="fine-tune", order="asc", limit=5)] == [created.id]
    assert client.files.content(created.id).content == JSONL
    broken = client.files.create(file=("broken.jsonl", io.BytesIO(b"{nope\n")), purpose="fine-tune")
    assert processed(client, broken.id) == "error"
    assert client.files.retrieve(broken.id).status_details
    assert client.files.delete(created.id).deleted
    notes = client.files.create(file=("notes.jsonl", io.BytesIO(b'{"a": 1}\n')), purpose="evals")
    assert notes.purpose == "evals"


@covers(azure=("Files_Upload", "Files_Get", "Files_List"), v1=("createFile", "retrieveFile", "listFiles"))
def test_file_refusals(client: openai.OpenAI, http: httpx2.Client) -> None:
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve("file-missing")
    with pytest.raises(openai.BadRequestError):
        client.files.create(file=("x.jsonl", io.BytesIO(JSONL)), purpose="training")  # type: ignore[arg-type]
    with pytest.raises(openai.BadRequestError):
        client.files.create(
            file=("x.jsonl", io.BytesIO(JSONL)),
            purpose="fine-tune",
            expires_after={"anchor": "created_at", "seconds": 60},
        )
    assert http.get("/files", params={"order": "sideways"}).status_code == 400


@covers(
    azure=("UploadFile_Start", "UploadFile_Part", "UploadFile_Complete", "UploadFile_Cancel"),
    v1=("createUpload", "addUploadPart", "completeUpload", "cancelUpload"),
)
def test_upload_lifecycle(client: openai.OpenAI) -> None:
    half = len(JSONL) // 2
    started = client.uploads.create(
        bytes=len(JSONL), filename="big.jsonl", mime_type="text/jsonl", purpose="fine-tune"
    )
    parts = [client.uploads.parts.create(started.id, data=chunk).id for chunk in (JSONL[:half], JSONL[half:])]
    with pytest.raises(openai.BadRequestError):
        client.uploads.complete(started.id, part_ids=parts[:1])  # fewer bytes than declared
    done = client.uploads.complete(started.id, part_ids=parts)
    assert done.status == "completed" and done.file is not None
    with pytest.raises(openai.BadRequestError):
        client.uploads.parts.create(started.id, data=b"late")  # no longer pending
    dropped = client.uploads.create(bytes=3, filename="x.jsonl", mime_type="text/jsonl", purpose="fine-tune")
    assert client.uploads.cancel(dropped.id).status == "cancelled"
    with pytest.raises(openai.BadRequestError):
        client.uploads.cancel(dropped.id)
    with pytest.raises(openai.BadRequestError):
        client.uploads.create(bytes=-1, filename="x.jsonl", mime_type="text/jsonl", purpose="fine-tune")
