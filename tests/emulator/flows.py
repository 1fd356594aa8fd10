"""The steps of a fine-tuning flow, driven through the real clients, and the statuses each style shows."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import openai
from azure.core.exceptions import HttpResponseError
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from azure.mgmt.cognitiveservices.models import Deployment, DeploymentModel, DeploymentProperties, Sku
from openai.types import FileObject
from openai.types.fine_tuning import FineTuningJob

from local.processes import REPO

SAMPLE = REPO / "data" / "sample"
BASE_MODEL = "gpt-4o-2024-08-06"
RESOURCE_GROUP, ACCOUNT = "rg-local", "aoai-local"
TERMINAL = frozenset({"succeeded", "failed", "cancelled"})
TIMEOUT = 20.0


def is_v1(client: openai.OpenAI) -> bool:
    return not isinstance(client, openai.AzureOpenAI)


def waiting_status(client: openai.OpenAI) -> str:
    """What a validating or queued job shows: Azure's `pending`, OpenAI's `validating_files`/`queued`."""
    return "validating_files" if is_v1(client) else "pending"


def wait_processed(client: openai.OpenAI, file_id: str) -> FileObject:
    deadline = time.monotonic() + TIMEOUT
    while (file := client.files.retrieve(file_id)).status not in {"processed", "error"}:
        assert time.monotonic() < deadline, f"file {file_id} still {file.status}"
        time.sleep(0.05)
    return file


def upload(client: openai.OpenAI, path: Path, purpose: str = "fine-tune") -> FileObject:
    with path.open("rb") as handle:
        created = client.files.create(file=(path.name, handle), purpose=purpose)  # type: ignore[arg-type]
    return wait_processed(client, created.id)


def wait_job(client: openai.OpenAI, job_id: str, statuses: frozenset[str] = TERMINAL) -> FineTuningJob:
    deadline = time.monotonic() + TIMEOUT
    while (job := client.fine_tuning.jobs.retrieve(job_id)).status not in statuses:
        assert time.monotonic() < deadline, f"job {job_id} still {job.status}"
        time.sleep(0.05)
    return job


def wait_trained(client: openai.OpenAI, job_id: str) -> None:
    """Wait until the running job trained a step (only such a job can pause): its first metrics event."""
    wait_job(client, job_id, frozenset({"running"}))
    deadline = time.monotonic() + TIMEOUT
    while not any(e.type == "metrics" for e in client.fine_tuning.jobs.list_events(job_id, limit=5).data):
        assert time.monotonic() < deadline, f"job {job_id} trained no step"
        time.sleep(0.02)


def deploy(
    arm: CognitiveServicesManagementClient,
    name: str,
    model: str,
    *,
    version: str | None = "1",
    sku: str = "Standard",
    capacity: int = 1,
    account: str = ACCOUNT,
) -> dict[str, Any]:
    """Create-or-update through ARM, wait for the LRO (plain http needs enforce_https=False), and
    answer the deployment as a dict (`as_dict()`: snake_case keys, no Optional attributes to unwrap)."""
    deployment = Deployment(
        sku=Sku(name=sku, capacity=capacity),
        properties=DeploymentProperties(model=DeploymentModel(format="OpenAI", name=model, version=version)),
    )
    poller = arm.deployments.begin_create_or_update(
        RESOURCE_GROUP, account, name, deployment, enforce_https=False
    )
    return dict(poller.result(timeout=TIMEOUT).as_dict())


def deploy_base(arm: CognitiveServicesManagementClient, name: str, model: str = "gpt-4o") -> dict[str, Any]:
    """A base model by its ARM name and real version (2024-08-06 for gpt-4o, 2024-07-18 for gpt-4o-mini)."""
    versions = {"gpt-4o": "2024-08-06", "gpt-4o-mini": "2024-07-18", "gpt-4.1": "2025-04-14"}
    return deploy(arm, name, model, version=versions[model])


def train(client: openai.OpenAI, **options: Any) -> FineTuningJob:
    """Upload the sample pair, fine-tune with the lab's seed, and wait for the job to end."""
    training = upload(client, SAMPLE / "training.jsonl")
    validation = upload(client, SAMPLE / "validation.jsonl")
    assert (training.status, validation.status) == ("processed", "processed")
    request: dict[str, Any] = {"model": BASE_MODEL, "validation_file": validation.id, "seed": 105, **options}
    job = client.fine_tuning.jobs.create(training_file=training.id, **request)
    return wait_job(client, job.id)


def fine_tuned_model(job: FineTuningJob) -> str:
    assert job.fine_tuned_model, f"job {job.id} is {job.status} and made no model"
    return job.fine_tuned_model


def arm_code(error: HttpResponseError) -> str:
    """The ARM error code of a refused request."""
    assert error.error is not None and error.error.code is not None, error
    return str(error.error.code)


def chat(client: openai.OpenAI, deployment: str, question: str) -> str:
    reply = client.chat.completions.create(model=deployment, messages=[{"role": "user", "content": question}])
    return reply.choices[0].message.content or ""
