"""Fine-tuning jobs as the service runs them: statuses per style, pause and resume, delete,
validation failures, training types and the model names a job accepts."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx2
import openai
import pytest
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from openai.types.fine_tuning.jobs import FineTuningJobCheckpoint

from local.processes import Service
from tests.emulator.conftest import API_VERSION, azure_openai
from tests.emulator.flows import (
    BASE_MODEL,
    SAMPLE,
    chat,
    deploy,
    fine_tuned_model,
    is_v1,
    upload,
    wait_job,
    wait_trained,
    waiting_status,
)
from tests.support.emulator import EmulatorAdmin


def start(client: openai.OpenAI, model: str = BASE_MODEL, **options: object) -> str:
    training = upload(client, SAMPLE / "training.jsonl")
    return client.fine_tuning.jobs.create(model=model, training_file=training.id, **options).id  # type: ignore[arg-type]


def wait_checkpoint(client: openai.OpenAI, job_id: str) -> FineTuningJobCheckpoint:
    """The checkpoint a pause writes appears once the pause completes (`pausing`, then `paused`)."""
    deadline = time.monotonic() + 10
    while not (found := client.fine_tuning.jobs.checkpoints.list(job_id).data):
        assert time.monotonic() < deadline, "no checkpoint after the pause"
        time.sleep(0.05)
    return found[0]


def test_a_new_job_waits_in_each_style_then_runs(client: openai.OpenAI) -> None:
    job_id = start(client)
    assert client.fine_tuning.jobs.retrieve(job_id).status == waiting_status(client)
    assert wait_job(client, job_id, frozenset({"running"})).estimated_finish is not None
    assert wait_job(client, job_id).status == "succeeded"


def test_pause_writes_a_deployable_checkpoint_and_resume_finishes_the_job(
    client: openai.OpenAI, arm: CognitiveServicesManagementClient
) -> None:
    job_id = start(client)
    wait_trained(client, job_id)
    paused = client.fine_tuning.jobs.pause(job_id)
    assert paused.status == ("paused" if is_v1(client) else "pausing")
    assert wait_job(client, job_id, frozenset({"paused"})).estimated_finish is None
    checkpoint = wait_checkpoint(client, job_id)
    steps_at_pause = checkpoint.step_number
    assert steps_at_pause >= 1
    deploy(arm, "at-pause", checkpoint.id)  # a checkpoint deploys by its ftchkpt- id, as Azure shows it
    assert chat(client, "at-pause", "Who discovered Antarctica?")
    with pytest.raises(openai.BadRequestError):
        client.fine_tuning.jobs.pause(job_id)  # only a running job can be paused

    resumed = client.fine_tuning.jobs.resume(job_id)
    assert resumed.status == ("queued" if is_v1(client) else "resuming")
    with pytest.raises(openai.BadRequestError):
        client.fine_tuning.jobs.resume(job_id)  # only a paused job can be resumed
    finished = wait_job(client, job_id)
    assert finished.status == "succeeded"
    steps = [c.step_number for c in client.fine_tuning.jobs.checkpoints.list(job_id, limit=20)]
    assert steps_at_pause in steps and max(steps) == 100
    messages = [e.message for e in client.fine_tuning.jobs.list_events(job_id, limit=500)]
    assert (
        f"Fine-tuning job paused at step {steps_at_pause}" in messages
        and "Fine-tuning job resumed" in messages
    )


def test_a_job_still_validating_cannot_be_paused(client: openai.OpenAI) -> None:
    job_id = start(client)
    with pytest.raises(openai.BadRequestError):
        client.fine_tuning.jobs.pause(job_id)


def test_delete_takes_a_finished_job_on_the_azure_route(emulator: Service, admin: EmulatorAdmin) -> None:
    client = azure_openai(emulator, max_retries=0)
    job_id = start(client)
    url = f"{emulator.url}/openai/fine_tuning/jobs/{job_id}"
    params, headers = {"api-version": API_VERSION}, {"api-key": emulator.extra["api_key"]}
    active = httpx2.delete(url, params=params, headers=headers)
    assert active.status_code == 400 and active.json()["error"]["code"] == "unexpectedEntityState"
    client.fine_tuning.jobs.cancel(job_id)
    assert httpx2.delete(url, params=params, headers=headers).status_code == 204
    with pytest.raises(openai.NotFoundError):
        client.fine_tuning.jobs.retrieve(job_id)
    assert job_id not in [j.id for j in client.fine_tuning.jobs.list()]


def test_fewer_than_ten_examples_fail_while_validating(client: openai.OpenAI, tmp_path: Path) -> None:
    few = tmp_path / "few.jsonl"
    few.write_text("\n".join((SAMPLE / "training.jsonl").read_text().splitlines()[:9]) + "\n")
    training = upload(client, few)
    job = wait_job(client, client.fine_tuning.jobs.create(model=BASE_MODEL, training_file=training.id).id)
    assert job.status == "failed" and job.error is not None
    assert (job.error.code, job.error.param) == ("invalid_n_examples", "training_file")
    assert "9 example(s)" in job.error.message


def test_a_chat_file_does_not_train_the_dpo_method(client: openai.OpenAI) -> None:
    job_id = start(client, method={"type": "dpo"})
    job = wait_job(client, job_id)
    assert job.status == "failed" and job.error is not None and job.error.code == "invalid_training_file"


def test_dpo_trains_on_preference_pairs(client: openai.OpenAI, tmp_path: Path) -> None:
    lines = []
    for line in (SAMPLE / "training.jsonl").read_text().splitlines():
        messages = json.loads(line)["messages"]
        example = {
            "input": {"messages": messages[:-1]},
            "preferred_output": [messages[-1]],
            "non_preferred_output": [{"role": "assistant", "content": "No idea."}],
        }
        lines.append(json.dumps(example))
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text("\n".join(lines) + "\n")
    training = upload(client, pairs)
    method = {"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.2, "l2_multiplier": 0.05}}}
    job = client.fine_tuning.jobs.create(model="gpt-4.1-mini", training_file=training.id, method=method)  # type: ignore[arg-type]
    finished = wait_job(client, job.id)
    assert finished.status == "succeeded"
    dpo = finished.to_dict()["method"]["dpo"]["hyperparameters"]  # type: ignore[index]
    assert (dpo["beta"], dpo["l2_multiplier"]) == (0.2, 0.05)


@pytest.mark.parametrize(
    ("sent", "stored"),
    [(None, "Standard"), ("globalstandard", "GlobalStandard"), ("developerTier", "Developer")],
)
def test_training_type_is_checked_against_the_catalog(
    client: openai.OpenAI, admin: EmulatorAdmin, sent: str | None, stored: str
) -> None:
    extra = {} if sent is None else {"extra_body": {"trainingType": sent}}
    job_id = start(client, "gpt-4.1-mini", **extra)
    assert client.fine_tuning.jobs.retrieve(job_id).to_dict()["trainingType"] == stored
    assert [j["training_type"] for j in admin.state()["jobs"]] == [stored]


def test_undated_names_and_fine_tuned_models_can_be_fine_tuned(client: openai.OpenAI) -> None:
    first = wait_job(client, start(client, "gpt-4.1-mini"))
    assert first.model == "gpt-4.1-mini-2025-04-14"
    model = fine_tuned_model(first)
    assert model.startswith("gpt-4.1-mini-2025-04-14.ft-")
    again = wait_job(client, start(client, model, suffix="round2"))
    assert again.model == model and fine_tuned_model(again).startswith("gpt-4.1-mini-2025-04-14.ft-")
