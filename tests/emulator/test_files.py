"""Files and uploads per style: processing states, purposes, status codes, and expiry."""

from __future__ import annotations

import io

import openai
import pytest
from openai.types import FileObject

from tests.emulator.flows import SAMPLE, is_v1, upload, wait_processed
from tests.support.emulator import EmulatorAdmin

JSONL = (SAMPLE / "training.jsonl").read_bytes()


def test_a_fine_tune_file_is_processed_in_each_styles_words(client: openai.OpenAI) -> None:
    raw = client.files.with_raw_response.create(file=("t.jsonl", io.BytesIO(JSONL)), purpose="fine-tune")
    created = raw.parse()
    if is_v1(client):
        assert raw.status_code == 200 and created.status == "uploaded"
    else:
        assert raw.status_code == 201 and created.status in ("pending", "running")
        assert raw.headers["location"].endswith(f"/openai/files/{created.id}")
    assert raw.headers["apim-request-id"] and raw.headers["x-request-id"]
    assert wait_processed(client, created.id).status == "processed"


@pytest.mark.parametrize(
    ("purpose", "azure_accepts", "v1_accepts"),
    [
        ("fine-tune", True, True),
        ("evals", True, True),
        ("user_data", False, True),
        ("vision", False, True),
        ("fine-tune-results", True, False),
        ("batch_output", True, False),
        ("training", False, False),
    ],
)
def test_each_style_takes_its_own_purposes(
    client: openai.OpenAI, *, purpose: str, azure_accepts: bool, v1_accepts: bool
) -> None:
    def create() -> FileObject:
        notes = ("notes.jsonl", io.BytesIO(b'{"a": 1}\n'))
        return client.files.create(file=notes, purpose=purpose)  # type: ignore[arg-type]

    if v1_accepts if is_v1(client) else azure_accepts:
        assert create().purpose == purpose
    else:
        with pytest.raises(openai.BadRequestError):
            create()


def test_a_file_expires_when_asked(client: openai.OpenAI, admin: EmulatorAdmin) -> None:
    shortest = 3600 if is_v1(client) else 1_209_600  # OpenAI's range starts at an hour, Azure's at 14 days
    with pytest.raises(openai.BadRequestError):
        client.files.create(
            file=("t.jsonl", io.BytesIO(JSONL)),
            purpose="fine-tune",
            expires_after={"anchor": "created_at", "seconds": shortest - 1},
        )
    expiring = client.files.create(
        file=("t.jsonl", io.BytesIO(JSONL)),
        purpose="fine-tune",
        expires_after={"anchor": "created_at", "seconds": shortest},
    )
    assert expiring.expires_at == expiring.created_at + shortest
    kept = upload(client, SAMPLE / "validation.jsonl")
    admin.advance_clock(shortest + 1)
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(expiring.id)
    assert [f.id for f in client.files.list()] == [kept.id]


def test_an_upload_left_pending_expires_after_an_hour(client: openai.OpenAI, admin: EmulatorAdmin) -> None:
    started = client.uploads.create(
        bytes=len(JSONL), filename="big.jsonl", mime_type="text/jsonl", purpose="fine-tune"
    )
    assert started.expires_at == started.created_at + 3600
    admin.advance_clock(3601)
    with pytest.raises(openai.BadRequestError):
        client.uploads.parts.create(started.id, data=JSONL)
    assert admin.state()["uploads"][0]["status"] == "expired"


def test_uploads_refuse_purposes_outside_the_style(client: openai.OpenAI) -> None:
    purpose = "user_data" if is_v1(client) else "vision"  # createUpload takes fewer purposes than createFile
    with pytest.raises(openai.BadRequestError):
        client.uploads.create(bytes=10, filename="x.jsonl", mime_type="text/jsonl", purpose=purpose)  # type: ignore[arg-type]
