"""Lists a caller relies on after a crash (jobs by metadata, files by purpose) and the uploads API."""

from __future__ import annotations

import io

import openai

from tests.emulator.flows import BASE_MODEL, SAMPLE, upload, wait_processed
from tests.support.emulator import EmulatorAdmin


def test_jobs_list_newest_first_with_pagination_and_metadata(client: openai.OpenAI) -> None:
    training = upload(client, SAMPLE / "training.jsonl")
    created = [
        client.fine_tuning.jobs.create(
            model=BASE_MODEL,
            training_file=training.id,
            metadata={"run": f"run-{i}"},
            extra_body={"trainingType": "GlobalStandard"},
        ).id
        for i in range(3)
    ]
    first = client.fine_tuning.jobs.list(limit=2)
    assert [j.id for j in first.data] == created[:0:-1] and first.has_more
    second = client.fine_tuning.jobs.list(limit=2, after=first.data[-1].id)
    assert [j.id for j in second.data] == created[:1] and not second.has_more
    assert [j.id for j in client.fine_tuning.jobs.list()] == created[::-1]
    mine = client.fine_tuning.jobs.list(metadata={"run": "run-1"})
    assert [j.id for j in mine.data] == [created[1]]


def test_files_filter_by_purpose_and_delete(client: openai.OpenAI) -> None:
    training = upload(client, SAMPLE / "training.jsonl")
    client.files.create(file=("notes.jsonl", io.BytesIO(b'{"a": 1}\n')), purpose="assistants")
    assert [f.id for f in client.files.list(purpose="fine-tune")] == [training.id]
    assert client.files.delete(training.id).deleted
    assert list(client.files.list(purpose="fine-tune")) == []


def test_uploads_api_builds_a_file_from_parts(client: openai.OpenAI, admin: EmulatorAdmin) -> None:
    data = (SAMPLE / "training.jsonl").read_bytes()
    half = len(data) // 2
    started = client.uploads.create(
        bytes=len(data), filename="big.jsonl", mime_type="text/jsonl", purpose="fine-tune"
    )
    parts = [client.uploads.parts.create(started.id, data=chunk).id for chunk in (data[:half], data[half:])]
    done = client.uploads.complete(started.id, part_ids=parts)
    assert done.status == "completed" and done.file is not None
    file = wait_processed(client, done.file.id)
    assert (file.status, file.filename, file.bytes) == ("processed", "big.jsonl", len(data))
    assert client.files.content(file.id).content == data
    assert admin.state()["uploads"][0]["status"] == "completed"
