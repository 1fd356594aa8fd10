"""The steps of the lab's fine-tuning flow, driven through the real clients."""

from __future__ import annotations

import time
from pathlib import Path

import openai
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from azure.mgmt.cognitiveservices.models import Deployment, DeploymentModel, DeploymentProperties, Sku
from openai.types import FileObject
from openai.types.fine_tuning import FineTuningJob

from local.processes import REPO

SAMPLE = REPO / "data" / "sample"
BASE_MODEL = "gpt-4o-2024-08-06"
RESOURCE_GROUP, ACCOUNT = "rg-local", "aoai-local"
TIMEOUT = 20.0


def wait_processed(client: openai.OpenAI, file_id: str) -> FileObject:
    deadline = time.monotonic() + TIMEOUT
    while (file := client.files.retrieve(file_id)).status not in {"processed", "error"}:
        assert time.monotonic() < deadline, f"file {file_id} still {file.status}"
        time.sleep(0.1)
    return file


def upload(client: openai.OpenAI, path: Path) -> FileObject:
    with path.open("rb") as handle:
        created = client.files.create(file=(path.name, handle), purpose="fine-tune")
    return wait_processed(client, created.id)


def wait_job(
    client: openai.OpenAI,
    job_id: str,
    statuses: frozenset[str] = frozenset({"succeeded", "failed", "cancelled"}),
) -> FineTuningJob:
    deadline = time.monotonic() + TIMEOUT
    while (job := client.fine_tuning.jobs.retrieve(job_id)).status not in statuses:
        assert time.monotonic() < deadline, f"job {job_id} still {job.status}"
        time.sleep(0.1)
    return job


def deploy(
    arm: CognitiveServicesManagementClient, name: str, model: str, sku: str = "Standard", capacity: int = 1
) -> Deployment:
    """Create-or-update through ARM and wait for the LRO (plain http needs enforce_https=False)."""
    deployment = Deployment(
        sku=Sku(name=sku, capacity=capacity),
        properties=DeploymentProperties(model=DeploymentModel(format="OpenAI", name=model, version="1")),
    )
    poller = arm.deployments.begin_create_or_update(
        RESOURCE_GROUP, ACCOUNT, name, deployment, enforce_https=False
    )
    return poller.result(timeout=TIMEOUT)


def train(client: openai.OpenAI, **options: object) -> FineTuningJob:
    """Upload the sample pair, fine-tune with the lab's seed, and wait for the job to end."""
    training = upload(client, SAMPLE / "training.jsonl")
    validation = upload(client, SAMPLE / "validation.jsonl")
    assert (training.status, validation.status) == ("processed", "processed")
    job = client.fine_tuning.jobs.create(
        model=BASE_MODEL, training_file=training.id, validation_file=validation.id, seed=105, **options
    )
    return wait_job(client, job.id)


def chat(client: openai.OpenAI, deployment: str, question: str) -> str:
    reply = client.chat.completions.create(model=deployment, messages=[{"role": "user", "content": question}])
    return reply.choices[0].message.content or ""
