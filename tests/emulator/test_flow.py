"""The lab's whole flow through the real clients: upload, fine-tune, inspect, deploy, chat."""

from __future__ import annotations

import csv
import io

import openai
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

from tests.emulator.flows import BASE_MODEL, chat, deploy, train
from tests.support.emulator import EmulatorAdmin

CSV_COLUMNS = ["step", "train_loss", "train_mean_token_accuracy", "valid_loss", "valid_mean_token_accuracy"]


def test_fine_tune_deploy_and_chat(
    client: openai.OpenAI, arm: CognitiveServicesManagementClient, admin: EmulatorAdmin
) -> None:
    job = train(client, suffix="clippy", metadata={"run": "lab-1"})

    assert job.status == "succeeded", job.error
    assert job.model == BASE_MODEL and job.seed == 105
    assert job.fine_tuned_model == f"{BASE_MODEL}.ft-{job.id.removeprefix('ftjob-')}-clippy"
    assert job.suffix == "clippy" and job.metadata == {"run": "lab-1"}
    assert job.trained_tokens and job.trained_tokens > 0
    assert job.hyperparameters.n_epochs == 10  # the cookbook's auto rule for 10 examples: 100 // 10

    events = list(client.fine_tuning.jobs.list_events(job.id, limit=200))
    assert events[0].message == "The job has successfully completed"
    metrics = [e for e in events if e.type == "metrics"]
    assert metrics and {"step", "train_loss", "valid_loss"} <= set(metrics[0].data)

    checkpoints = list(client.fine_tuning.jobs.checkpoints.list(job.id, limit=100))
    assert len(checkpoints) == job.hyperparameters.n_epochs
    assert all(c.metrics.valid_loss is not None for c in checkpoints)
    assert checkpoints[0].fine_tuned_model_checkpoint.startswith(job.fine_tuned_model + ":ckpt-step-")
    assert checkpoints[-1].metrics.valid_loss > checkpoints[0].metrics.valid_loss

    result = client.files.retrieve(job.result_files[0])
    assert result.purpose == "fine-tune-results"
    rows = list(csv.DictReader(io.StringIO(client.files.content(result.id).text)))
    assert list(rows[0]) == CSV_COLUMNS
    assert len(rows) == len(metrics) and float(rows[-1]["train_loss"]) < float(rows[0]["train_loss"])

    deployment = deploy(arm, "clippy", job.fine_tuned_model)
    assert deployment.properties.provisioning_state == "Succeeded"
    answer = chat(client, "clippy", "Does Azure OpenAI support customer-managed keys?")
    assert "customer-managed keys" in answer

    state = admin.state()
    assert [j["metadata"] for j in state["jobs"]] == [{"run": "lab-1"}]
    assert {f["purpose"] for f in state["files"]} == {"fine-tune", "fine-tune-results"}
    assert state["deployments"][0]["provisioning_state"] == "Succeeded"


def test_chat_usage_counts_the_messages(
    client: openai.OpenAI, arm: CognitiveServicesManagementClient
) -> None:
    deploy(arm, "base", "gpt-4o-mini")
    short = client.chat.completions.create(model="base", messages=[{"role": "user", "content": "Hi"}])
    longer = client.chat.completions.create(
        model="base",
        messages=[
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "Hi there, how are you?"},
        ],
    )
    assert short.object == "chat.completion" and short.choices[0].finish_reason == "stop"
    assert short.choices[0].message.role == "assistant"
    assert longer.usage.prompt_tokens > short.usage.prompt_tokens
    assert short.usage.total_tokens == short.usage.prompt_tokens + short.usage.completion_tokens
