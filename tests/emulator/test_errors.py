"""Bad requests fail the way Azure fails, as the openai SDK's own exceptions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import openai
import pytest
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

from local.processes import Service
from tests.emulator.conftest import azure_openai, v1_openai
from tests.emulator.flows import BASE_MODEL, SAMPLE, chat, deploy, upload, wait_job, wait_processed
from tests.support.emulator import EmulatorAdmin


@pytest.mark.parametrize("make", [azure_openai, v1_openai])
def test_wrong_key_is_an_authentication_error(emulator: Service, make: Callable[..., openai.OpenAI]) -> None:
    client = make(emulator, max_retries=0)
    client.api_key = "wrong"
    with pytest.raises(openai.AuthenticationError) as denied:
        client.files.list()
    assert denied.value.code == "401"


def test_unknown_ids_are_not_found(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve("file-missing")
    with pytest.raises(openai.NotFoundError):
        client.fine_tuning.jobs.retrieve("ftjob-missing")
    with pytest.raises(openai.NotFoundError):
        client.fine_tuning.jobs.create(model=BASE_MODEL, training_file="file-missing")
    with pytest.raises(openai.NotFoundError) as no_deployment:
        chat(client, "nowhere", "hello")
    assert no_deployment.value.code == "DeploymentNotFound"


def test_invalid_jsonl_ends_in_error_with_details(client: openai.OpenAI, tmp_path: Path) -> None:
    bad = tmp_path / "broken.jsonl"
    bad.write_text((SAMPLE / "training.jsonl").read_text().splitlines()[0] + "\n{not json\n")
    file = upload(client, bad)
    assert file.status == "error" and file.filename == "broken.jsonl"
    assert "Line 2" in (file.status_details or "")
    with pytest.raises(openai.BadRequestError) as refused:
        client.fine_tuning.jobs.create(model=BASE_MODEL, training_file=file.id)
    assert refused.value.param == "training_file"


@pytest.mark.parametrize(
    "options",
    [
        {"model": "gpt-5-ultra"},
        {"hyperparameters": {"n_epochs": 0}},
        {"hyperparameters": {"batch_size": 1000}},
        {"hyperparameters": {"learning_rate_multiplier": -1}},
        {"method": {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 51}}}},
        {"method": {"type": "reinforcement"}},
        {"suffix": "has spaces"},
        {"seed": -1},
    ],
)
def test_bad_job_requests_are_bad_requests(client: openai.OpenAI, options: dict) -> None:
    training = upload(client, SAMPLE / "training.jsonl")
    with pytest.raises(openai.BadRequestError):
        client.fine_tuning.jobs.create(**{"model": BASE_MODEL, "training_file": training.id, **options})


def test_unprocessed_file_is_refused(client: openai.OpenAI) -> None:
    with (SAMPLE / "training.jsonl").open("rb") as handle:
        pending = client.files.create(file=("training.jsonl", handle), purpose="fine-tune")
    assert pending.status == "pending"
    with pytest.raises(openai.BadRequestError):
        client.fine_tuning.jobs.create(model=BASE_MODEL, training_file=pending.id)
    assert wait_processed(client, pending.id).status == "processed"


def test_cancel_moves_a_running_job_to_cancelled(client: openai.OpenAI) -> None:
    training = upload(client, SAMPLE / "training.jsonl")
    job = client.fine_tuning.jobs.create(model=BASE_MODEL, training_file=training.id)
    wait_job(client, job.id, frozenset({"running"}))
    cancelled = client.fine_tuning.jobs.cancel(job.id)
    assert cancelled.status == "cancelled"
    final = wait_job(client, job.id)
    assert final.status == "cancelled" and final.fine_tuned_model is None
    with pytest.raises(openai.BadRequestError):
        client.fine_tuning.jobs.cancel(job.id)


def test_forced_failure_fails_the_job(client: openai.OpenAI, admin: EmulatorAdmin) -> None:
    admin.fail_next_job(code="quota_exceeded", message="No training capacity")
    training = upload(client, SAMPLE / "training.jsonl")
    job = wait_job(client, client.fine_tuning.jobs.create(model=BASE_MODEL, training_file=training.id).id)
    assert job.status == "failed" and job.error.code == "quota_exceeded"
    assert job.fine_tuned_model is None and job.result_files == []
    assert client.fine_tuning.jobs.list_events(job.id).data[0].level == "error"


def test_deployment_not_ready_window(
    client: openai.OpenAI, arm: CognitiveServicesManagementClient, admin: EmulatorAdmin
) -> None:
    admin.deployment_not_ready_seconds(30)
    deploy(arm, "slow", "gpt-4o")
    with pytest.raises(openai.BadRequestError) as not_ready:
        chat(client, "slow", "hello")
    assert not_ready.value.code == "DeploymentNotReady"
    admin.deployment_not_ready_seconds(0, deployment="slow")
    assert "hello" in chat(client, "slow", "hello")
