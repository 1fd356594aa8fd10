"""Fine-tuning jobs on both styles through their whole lifecycle, answers and refusals."""

from __future__ import annotations

import io
import time

import httpx2
import openai
import pytest

from local.processes import REPO
from tests.contract.coverage import covers

SAMPLE = REPO / "data" / "sample"
MODEL = "gpt-4.1-mini"


def ready_file(client: openai.OpenAI, name: str) -> str:
    created = client.files.create(file=(name, io.BytesIO((SAMPLE / name).read_bytes())), purpose="fine-tune")
    deadline = time.monotonic() + 10
    while client.files.retrieve(created.id).status != "processed":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return created.id


def wait_for(client: openai.OpenAI, job_id: str, *statuses: str) -> str:
    deadline = time.monotonic() + 15
    while (status := client.fine_tuning.jobs.retrieve(job_id).status) not in statuses:
        assert time.monotonic() < deadline, status
        time.sleep(0.05)
    return status


@covers(
    azure=(
        "FineTuning_Create",
        "FineTuning_List",
        "FineTuning_Get",
        "FineTuning_Pause",
        "FineTuning_Resume",
        "FineTuning_GetEvents",
        "FineTuning_GetCheckpoints",
        "Files_GetContent",
    ),
    v1=(
        "createFineTuningJob",
        "listPaginatedFineTuningJobs",
        "retrieveFineTuningJob",
        "pauseFineTuningJob",
        "resumeFineTuningJob",
        "listFineTuningEvents",
        "listFineTuningJobCheckpoints",
        "downloadFile",
    ),
)
def test_a_job_runs_pauses_resumes_and_succeeds(client: openai.OpenAI) -> None:
    training, validation = ready_file(client, "training.jsonl"), ready_file(client, "validation.jsonl")
    job = client.fine_tuning.jobs.create(
        model=MODEL,
        training_file=training,
        validation_file=validation,
        suffix="contract",
        seed=7,
        metadata={"run": "contract"},
        extra_body={"trainingType": "GlobalStandard"},
    )
    assert [j.id for j in client.fine_tuning.jobs.list(metadata={"run": "contract"})] == [job.id]
    wait_for(client, job.id, "running")
    while not any(e.type == "metrics" for e in client.fine_tuning.jobs.list_events(job.id, limit=5).data):
        time.sleep(0.02)  # the service pauses only a job that trained a step
    client.fine_tuning.jobs.pause(job.id)
    wait_for(client, job.id, "paused")
    while not client.fine_tuning.jobs.checkpoints.list(job.id).data:
        time.sleep(0.05)
    client.fine_tuning.jobs.resume(job.id)
    assert wait_for(client, job.id, "succeeded", "failed") == "succeeded"
    done = client.fine_tuning.jobs.retrieve(job.id)
    assert len(client.fine_tuning.jobs.list_events(job.id, limit=5).data) == 5
    assert client.fine_tuning.jobs.checkpoints.list(job.id, limit=2).has_more
    assert client.files.content(done.result_files[0]).text.startswith("step,")


@covers(
    azure=(
        "FineTuning_Create",
        "FineTuning_Get",
        "FineTuning_Cancel",
        "FineTuning_Pause",
        "FineTuning_Resume",
    ),
    v1=(
        "createFineTuningJob",
        "retrieveFineTuningJob",
        "cancelFineTuningJob",
        "pauseFineTuningJob",
        "resumeFineTuningJob",
    ),
)
def test_job_refusals_and_a_failed_job(client: openai.OpenAI) -> None:
    training = ready_file(client, "training.jsonl")
    with pytest.raises(openai.BadRequestError):
        client.fine_tuning.jobs.create(model="gpt-9", training_file=training)
    with pytest.raises(openai.BadRequestError):
        client.fine_tuning.jobs.create(model=MODEL, training_file=training, suffix="x" * 70)
    with pytest.raises(openai.BadRequestError):
        client.fine_tuning.jobs.create(model=MODEL, training_file=training, hyperparameters={"n_epochs": 0})
    with pytest.raises(openai.NotFoundError):
        client.fine_tuning.jobs.retrieve("ftjob-missing")
    job = client.fine_tuning.jobs.create(model=MODEL, training_file=training, seed=1)
    with pytest.raises(openai.BadRequestError):
        client.fine_tuning.jobs.pause(job.id)  # still validating files
    with pytest.raises(openai.BadRequestError):
        client.fine_tuning.jobs.resume(job.id)  # not paused
    assert client.fine_tuning.jobs.cancel(job.id).status == "cancelled"
    with pytest.raises(openai.BadRequestError):
        client.fine_tuning.jobs.cancel(job.id)
    few = client.files.create(
        file=("few.jsonl", io.BytesIO(b"\n".join(JSONL_LINES[:3]))), purpose="fine-tune"
    )
    while client.files.retrieve(few.id).status != "processed":
        time.sleep(0.05)
    failing = client.fine_tuning.jobs.create(model=MODEL, training_file=few.id)
    assert wait_for(client, failing.id, "failed", "succeeded") == "failed"


JSONL_LINES = (SAMPLE / "training.jsonl").read_bytes().splitlines()


@pytest.mark.parametrize("style", ["azure"])
@covers(azure=("FineTuning_Delete", "FineTuning_Create", "FineTuning_Cancel"))
def test_delete_a_job_on_the_azure_route(client: openai.OpenAI, http: httpx2.Client) -> None:
    job = client.fine_tuning.jobs.create(model=MODEL, training_file=ready_file(client, "training.jsonl"))
    assert http.delete(f"/fine_tuning/jobs/{job.id}").status_code == 400  # active: cancel first
    client.fine_tuning.jobs.cancel(job.id)
    assert http.delete(f"/fine_tuning/jobs/{job.id}").status_code == 204
    assert http.delete(f"/fine_tuning/jobs/{job.id}").status_code == 404
