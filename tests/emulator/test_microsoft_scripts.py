"""The flows of Microsoft's fine-tuning scripts (microsoft/azure-skills, skills/microsoft-foundry/finetuning),
replayed against the emulator with the same requests, and what real Azure answers to them.

The scripts are not copied; each step sends what the named script sends:
- common.upload_file: `files.create(purpose="fine-tune")` then `files.wait_for_processing`;
- submit_training.submit_sft_sdk: an undated model, `method={"type": "supervised"}`, top-level
  hyperparameters and `extra_body={"trainingType": "globalStandard"}`, on /openai/v1/;
- submit_training.submit_sft_rest: the same as a raw POST to the dated route (api-version
  2025-04-01-preview, `api-key` header), accepting 200 or 201 with `id` and `status`;
- submit_training.submit_dpo: `method={"type": "dpo", "dpo": {"hyperparameters": {...}}}`;
- monitor_training: `retrieve` and `list_events(limit=20)` until a terminal status;
- deploy_model: a raw ARM PUT with api-version 2024-10-01, `{"sku": {"name": "Standard",
  "capacity": 100}, "properties": {"model": {"format": "OpenAI", "name": <model>, "version": "1"}}}`,
  then GET until `provisioningState` is Succeeded, list, delete;
- evaluate_model: chat with `temperature=0.0, max_completion_tokens=2048`.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx2
import openai
import pytest

from local.processes import Service
from tests.emulator.conftest import API_VERSION, azure_openai, v1_openai
from tests.emulator.flows import SAMPLE, TERMINAL
from tests.support.emulator import EmulatorAdmin

SUBSCRIPTION, GROUP, ACCOUNT = "11111111-2222-3333-4444-555555555555", "rg-skills", "foundry-skills"
SCRIPT_ARM_VERSION = "2024-10-01"
DOCS_ARM_VERSION = "2024-10-21"  # the REST example of fine-tuning-deploy.md


def upload_file(client: openai.OpenAI, name: str) -> str:
    with (SAMPLE / name).open("rb") as handle:
        created = client.files.create(file=handle, purpose="fine-tune")
    client.files.wait_for_processing(created.id, poll_interval=0.05)
    return created.id


def monitor(client: openai.OpenAI, job_id: str) -> str:
    deadline = time.monotonic() + 30
    while (status := (client.fine_tuning.jobs.retrieve(job_id).status or "").lower()) not in TERMINAL:
        list(client.fine_tuning.jobs.list_events(job_id, limit=20))
        assert time.monotonic() < deadline, status
        time.sleep(0.1)
    return status


class Arm:
    """deploy_model.py's ARM calls, over raw HTTP with a bearer token."""

    def __init__(self, emulator: Service, version: str = SCRIPT_ARM_VERSION) -> None:
        self.base = (
            f"{emulator.url}/subscriptions/{SUBSCRIPTION}/resourceGroups/{GROUP}"
            f"/providers/Microsoft.CognitiveServices/accounts/{ACCOUNT}/deployments"
        )
        self.params = {"api-version": version}
        self.headers = {"Authorization": f"Bearer {emulator.extra['api_key']}"}

    def put(self, name: str, model: str, version: str = "1", sku: str = "Standard") -> httpx2.Response:
        body = {
            "sku": {"name": sku, "capacity": 100},
            "properties": {"model": {"format": "OpenAI", "name": model, "version": version}},
        }
        return httpx2.put(f"{self.base}/{name}", params=self.params, headers=self.headers, json=body)

    def wait(self, name: str) -> dict[str, Any]:
        deadline = time.monotonic() + 20
        while True:
            found = httpx2.get(f"{self.base}/{name}", params=self.params, headers=self.headers).json()
            if found.get("properties", {}).get("provisioningState") == "Succeeded":
                return dict(found)
            assert time.monotonic() < deadline, found
            time.sleep(0.1)

    def listed(self) -> list[tuple[str, str, str, str]]:
        value = httpx2.get(self.base, params=self.params, headers=self.headers).json()["value"]
        return [
            (
                d["name"],
                d["properties"]["model"]["name"],
                d["sku"]["name"],
                d["properties"]["provisioningState"],
            )
            for d in value
        ]

    def delete(self, name: str) -> int:
        return httpx2.delete(f"{self.base}/{name}", params=self.params, headers=self.headers).status_code


def test_the_scripts_flow_from_upload_to_evaluation(emulator: Service, admin: EmulatorAdmin) -> None:
    v1 = v1_openai(emulator, max_retries=0)
    training, validation = upload_file(v1, "training.jsonl"), upload_file(v1, "validation.jsonl")

    sdk_job = v1.fine_tuning.jobs.create(
        model="gpt-4.1-mini",
        training_file=training,
        validation_file=validation,
        method={"type": "supervised"},
        hyperparameters={"n_epochs": 2, "learning_rate_multiplier": 1.0},
        extra_body={"trainingType": "globalStandard"},
    )
    rest = httpx2.post(
        f"{emulator.url}/openai/fine_tuning/jobs",
        params={"api-version": "2025-04-01-preview"},
        headers={"api-key": emulator.extra["api_key"], "Content-Type": "application/json"},
        json={
            "model": "gpt-4.1-mini",
            "training_file": training,
            "validation_file": validation,
            "method": {"type": "supervised"},
            "hyperparameters": {"n_epochs": 2, "learning_rate_multiplier": 1.0},
            "trainingType": "globalStandard",
        },
    )
    assert rest.status_code in (200, 201) and {"id", "status"} <= set(rest.json())
    assert rest.json()["status"] == "pending" and rest.json()["trainingType"] == "GlobalStandard"

    assert monitor(v1, sdk_job.id) == "succeeded"
    azure = azure_openai(emulator, max_retries=0)
    assert monitor(azure, rest.json()["id"]) == "succeeded"
    job = v1.fine_tuning.jobs.retrieve(sdk_job.id)
    assert job.model == "gpt-4.1-mini-2025-04-14" and job.fine_tuned_model

    arm = Arm(emulator)
    assert arm.put("my-ft-eval", job.fine_tuned_model).status_code == 201
    assert arm.wait("my-ft-eval")["properties"]["model"]["version"] == "1"
    checkpoint = v1.fine_tuning.jobs.checkpoints.list(sdk_job.id).data[-1]
    assert arm.put("my-ft-ckpt", checkpoint.id, sku="GlobalStandard").status_code == 201
    assert arm.put("base-4o", "gpt-4o", version="2024-08-06").status_code == 201
    arm.wait("my-ft-ckpt")
    arm.wait("base-4o")
    assert sorted(arm.listed()) == [
        ("base-4o", "gpt-4o", "Standard", "Succeeded"),
        ("my-ft-ckpt", checkpoint.id, "GlobalStandard", "Succeeded"),
        ("my-ft-eval", job.fine_tuned_model, "Standard", "Succeeded"),
    ]

    reply = v1.chat.completions.create(
        model="my-ft-eval",
        messages=[
            {"role": "system", "content": "Clippy is a factual chatbot that is also sarcastic."},
            {"role": "user", "content": "Who discovered Antarctica?"},
        ],
        temperature=0.0,
        max_completion_tokens=2048,
    )
    answer = reply.choices[0].message.content or ""
    assert answer.startswith("Some chaps named Fabian")
    question = "<question>Who discovered Antarctica?</question>"
    grading = f"{question}<reference>{answer}</reference><answer>{answer}</answer>"
    verdict = azure.chat.completions.create(
        model="base-4o",
        messages=[{"role": "user", "content": grading}],
        response_format={"type": "json_object"},
    )
    assert json.loads(verdict.choices[0].message.content or "") == {
        "score": 10,
        "reasoning": "The answer's token overlap with the reference is F1 = 1.00.",
    }
    assert arm.delete("my-ft-eval") in (200, 202, 204)


def test_what_real_azure_answers_to_the_scripts_and_docs_mistakes(
    emulator: Service, admin: EmulatorAdmin
) -> None:
    arm = Arm(emulator)
    version_one = arm.put("base", "gpt-4o", version="1")  # deploy_model.py sends "1" for every model
    assert (version_one.status_code, version_one.json()["error"]["code"]) == (
        400,
        "DeploymentModelNotSupported",
    )
    developer = arm.put("base", "gpt-4o", version="2024-08-06", sku="DeveloperTier")
    assert (developer.status_code, developer.json()["error"]["code"]) == (400, "InvalidResourceProperties")
    docs = Arm(emulator, DOCS_ARM_VERSION).put("base", "gpt-4o", version="2024-08-06")
    assert (docs.status_code, docs.json()["error"]["code"]) == (400, "NoRegisteredProviderFound")
    dated_client_on_v1 = openai.AzureOpenAI(
        base_url=f"{emulator.url}/openai/v1/",
        api_key=emulator.extra["api_key"],
        api_version=API_VERSION,
        max_retries=0,
    )
    with pytest.raises(openai.BadRequestError) as refused:  # "api-version not allowed" (platform gotchas)
        dated_client_on_v1.files.list()
    assert "api-version" in str(refused.value)
