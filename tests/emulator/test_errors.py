"""Bad requests fail the way each surface's spec says, as the openai SDK's own exceptions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import openai
import pytest
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

from local.processes import Service
from tests.emulator.conftest import azure_openai, v1_openai
from tests.emulator.flows import (
    BASE_MODEL,
    SAMPLE,
    chat,
    deploy_base,
    is_v1,
    upload,
    wait_job,
    wait_processed,
)
from tests.support.emulator import EmulatorAdmin


def error_of(failure: openai.APIStatusError) -> dict[str, Any]:
    body = failure.body
    assert isinstance(body, dict), body
    return body.get("error", body)  # the SDK hands over the inner error object when there is one


@pytest.mark.parametrize("make", [azure_openai, v1_openai])
def test_wrong_key_is_an_authentication_error(emulator: Service, make: Callable[..., openai.OpenAI]) -> None:
    client = make(emulator, max_retries=0)
    client.api_key = "wrong"
    with pytest.raises(openai.AuthenticationError) as denied:
        client.files.list()
    assert denied.value.code == ("invalid_api_key" if make is v1_openai else "unauthorized")


def test_errors_carry_each_surface_shape(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as missing:
        client.files.retrieve("file-missing")
    error = error_of(missing.value)
    if is_v1(client):
        assert set(error) == {"message", "type", "param", "code"} and error["type"] == "invalid_request_error"
    else:
        assert error["code"] == "notFound" and error["message"]
    with pytest.raises(openai.NotFoundError):
        client.fine_tuning.jobs.retrieve("ftjob-missing")
    with pytest.raises(openai.NotFoundError) as no_deployment:
        chat(client, "nowhere", "hello")
    assert no_deployment.value.code == "DeploymentNotFound"


def test_a_job_on_a_missing_file_is_a_bad_request(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as refused:
        client.fine_tuning.jobs.create(model=BASE_MODEL, training_file="file-missing")
    assert error_of(refused.value).get("param", error_of(refused.value).get("target")) == "training_file"


def test_invalid_jsonl_ends_in_error_with_details(client: openai.OpenAI, tmp_path: Path) -> None:
    bad = tmp_path / "broken.jsonl"
    bad.write_text((SAMPLE / "training.jsonl").read_text().splitlines()[0] + "\n{not json\n")
    file = upload(client, bad)
    assert file.status == "error" and file.filename == "broken.jsonl"
    assert "Line 2" in (file.status_details or "")
    with pytest.raises(openai.BadRequestError):
        client.fine_tuning.jobs.create(model=BASE_MODEL, training_file=file.id)


@pytest.mark.parametrize(
    "options",
    [
        {"model": "gpt-5-ultra"},
        {"model": "gpt-4o-mini", "method": {"type": "dpo"}},  # DPO is not offered for gpt-4o-mini
        {"hyperparameters": {"n_epochs": 0}},
        {"hyperparameters": {"batch_size": 1000}},
        {"hyperparameters": {"learning_rate_multiplier": -1}},
        {"method": {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 51}}}},
        {"method": {"type": "dpo", "dpo": {"hyperparameters": {"beta": 3}}}},
        {"method": {"type": "supervised", "supervised": {"hyperparameters": {"beta": 0.1}}}},
        {"method": {"type": "reinforcement"}},
        {"suffix": ""},
        {"extra_body": {"trainingType": "Premium"}},
        {"model": "gpt-35-turbo-0125", "extra_body": {"trainingType": "GlobalStandard"}},
        {"metadata": {f"k{i}": "v" for i in range(17)}},
    ],
)
def test_bad_job_requests_are_bad_requests(client: openai.OpenAI, options: dict[str, Any]) -> None:
    training = upload(client, SAMPLE / "training.jsonl")
    with pytest.raises(openai.BadRequestError):
        client.fine_tuning.jobs.create(**{"model": BASE_MODEL, "training_file": training.id, **options})


@pytest.mark.parametrize(
    ("options", "azure_accepts", "v1_accepts"),
    [
        ({"suffix": "x" * 40}, True, True),
        ({"suffix": "x" * 41}, False, True),  # the authoring spec: up to 40 characters
        ({"suffix": "has.dot"}, False, True),  # ... of a-z, A-Z, 0-9, - and _
        ({"suffix": "x" * 65}, False, False),  # OpenAI: 1 to 64 characters
        ({"seed": -1}, True, False),  # any int32 on Azure; OpenAI's seed is 0..2147483647
        (
            {"method": {"type": "dpo", "dpo": {"hyperparameters": {"l2_multiplier": 0.2, "beta": 0.5}}}},
            True,
            True,
        ),
    ],
)
def test_each_surface_checks_its_own_rules(
    client: openai.OpenAI, *, options: dict[str, Any], azure_accepts: bool, v1_accepts: bool
) -> None:
    training = upload(client, SAMPLE / "training.jsonl")
    request = {"model": BASE_MODEL, "training_file": training.id, **options}
    if v1_accepts if is_v1(client) else azure_accepts:
        job = client.fine_tuning.jobs.create(**request)
        client.fine_tuning.jobs.cancel(job.id)
    else:
        with pytest.raises(openai.BadRequestError):
            client.fine_tuning.jobs.create(**request)


def test_unprocessed_file_is_refused(client: openai.OpenAI) -> None:
    with (SAMPLE / "training.jsonl").open("rb") as handle:
        processing = client.files.create(file=("training.jsonl", handle), purpose="fine-tune")
    assert processing.status == ("uploaded" if is_v1(client) else "pending")
    with pytest.raises(openai.BadRequestError):
        client.fine_tuning.jobs.create(model=BASE_MODEL, training_file=processing.id)
    assert wait_processed(client, processing.id).status == "processed"


def test_cancel_moves_a_running_job_to_cancelled(client: openai.OpenAI) -> None:
    training = upload(client, SAMPLE / "training.jsonl")
    job = client.fine_tuning.jobs.create(model=BASE_MODEL, training_file=training.id)
    wait_job(client, job.id, frozenset({"running"}))
    cancelled = client.fine_tuning.jobs.cancel(job.id)
    assert cancelled.status == "cancelled"
    final = wait_job(client, job.id)
    assert final.status == "cancelled" and final.fine_tuned_model is None
    with pytest.raises(openai.BadRequestError) as again:
        client.fine_tuning.jobs.cancel(job.id)
    if not is_v1(client):
        assert again.value.code == "unexpectedEntityState"


def test_forced_failure_fails_the_job(client: openai.OpenAI, admin: EmulatorAdmin) -> None:
    admin.fail_next_job(code="quota_exceeded", message="No training capacity")
    training = upload(client, SAMPLE / "training.jsonl")
    job = wait_job(client, client.fine_tuning.jobs.create(model=BASE_MODEL, training_file=training.id).id)
    assert job.status == "failed" and job.error is not None and job.error.code == "quota_exceeded"
    assert job.fine_tuned_model is None and job.result_files == []
    assert client.fine_tuning.jobs.list_events(job.id).data[0].level == "error"


def test_deployment_not_ready_window(
    client: openai.OpenAI, arm: CognitiveServicesManagementClient, admin: EmulatorAdmin
) -> None:
    admin.deployment_not_ready_seconds(30)
    deploy_base(arm, "slow")
    with pytest.raises(openai.BadRequestError) as not_ready:
        chat(client, "slow", "hello")
    assert not_ready.value.code == "DeploymentNotReady"
    admin.deployment_not_ready_seconds(0, deployment="slow")
    assert chat(client, "slow", "hello")


def test_v1_routes_refuse_a_dated_api_version(emulator: Service, admin: EmulatorAdmin) -> None:
    client = openai.OpenAI(
        base_url=f"{emulator.url}/openai/v1/",
        api_key=emulator.extra["api_key"],
        default_query={"api-version": "2025-04-01-preview"},
        max_retries=0,
    )
    with pytest.raises(openai.BadRequestError) as refused:
        client.files.list()
    assert "api-version" in str(refused.value)
    assert v1_openai(emulator, default_query={"api-version": "preview"}).files.list().data == []
