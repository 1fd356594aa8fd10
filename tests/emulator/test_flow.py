"""The lab's whole flow through the real clients: upload, fine-tune, inspect, deploy, chat."""

from __future__ import annotations

import csv
import io

import openai
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

from tests.emulator.flows import (
    BASE_MODEL,
    SAMPLE,
    chat,
    deploy,
    deploy_base,
    fine_tuned_model,
    train,
    upload,
    wait_job,
)
from tests.support.emulator import EmulatorAdmin

CSV_HEADER = (
    "step,train_loss,train_mean_token_accuracy,valid_loss,valid_mean_token_accuracy,"
    "full_valid_loss,full_valid_mean_token_accuracy"
)
ANTARCTICA = (
    "Some chaps named Fabian Gottlieb von Bellingshausen and Mikhail Lazarev, "
    "as if they don't teach that in every school!"
)


def test_fine_tune_deploy_and_chat(
    client: openai.OpenAI, arm: CognitiveServicesManagementClient, admin: EmulatorAdmin
) -> None:
    job = train(client, suffix="clippy", metadata={"run": "lab-1"})

    assert job.status == "succeeded", job.error
    assert job.model == BASE_MODEL and job.seed == 105
    assert job.fine_tuned_model == f"{BASE_MODEL}.ft-{job.id.removeprefix('ftjob-')}-clippy"
    assert job.to_dict()["suffix"] == "clippy" and job.metadata == {"run": "lab-1"}
    assert job.trained_tokens and job.trained_tokens > 0
    assert job.hyperparameters.n_epochs == 10  # the cookbook's auto rule for 10 examples: 100 // 10

    events = list(client.fine_tuning.jobs.list_events(job.id, limit=200))
    assert events[0].message == "The job has successfully completed"
    metrics = [e for e in events if e.type == "metrics"]
    data = metrics[0].to_dict()["data"]
    assert isinstance(data, dict) and {"step", "train_loss", "valid_loss"} <= set(data)

    checkpoints = list(client.fine_tuning.jobs.checkpoints.list(job.id, limit=100))
    assert [c.step_number for c in checkpoints] == [100, 90, 80]  # the last three epochs are kept
    assert all(c.id.startswith("ftchkpt-") and len(c.id) == len("ftchkpt-") + 32 for c in checkpoints)
    assert checkpoints[0].fine_tuned_model_checkpoint == f"{job.fine_tuned_model}:ckpt-step-100"
    full_valid = [c.metrics.full_valid_loss or 0.0 for c in checkpoints]
    assert all(full_valid) and full_valid[-1] > full_valid[0]

    result = client.files.retrieve(job.result_files[0])
    assert result.purpose == "fine-tune-results"
    content = client.files.content(result.id).text
    assert content.splitlines()[0] == CSV_HEADER
    rows = list(csv.DictReader(io.StringIO(content)))
    assert len(rows) == len(metrics) and float(rows[-1]["train_loss"]) < float(rows[0]["train_loss"])
    epoch_ends = [row["step"] for row in rows if row["full_valid_loss"]]
    assert epoch_ends == [str(step) for step in range(10, 101, 10)]

    deployment = deploy(arm, "clippy", fine_tuned_model(job))
    assert deployment["properties"]["provisioning_state"] == "Succeeded"
    assert chat(client, "clippy", "Who discovered Antarctica?") == ANTARCTICA

    state = admin.state()
    assert [j["metadata"] for j in state["jobs"]] == [{"run": "lab-1"}]
    assert {f["purpose"] for f in state["files"]} == {"fine-tune", "fine-tune-results"}
    assert state["deployments"][0]["provisioning_state"] == "Succeeded"


def test_validation_loss_columns_stay_empty_without_a_validation_file(client: openai.OpenAI) -> None:
    training = upload(client, SAMPLE / "training.jsonl")
    job = wait_job(client, client.fine_tuning.jobs.create(model=BASE_MODEL, training_file=training.id).id)
    rows = list(csv.DictReader(io.StringIO(client.files.content(job.result_files[0]).text)))
    assert all(row["valid_loss"] == row["full_valid_loss"] == "" for row in rows)
    checkpoint = client.fine_tuning.jobs.checkpoints.list(job.id).data[0]
    assert checkpoint.metrics.valid_loss is None and checkpoint.metrics.train_loss is not None


def test_chat_usage_counts_the_messages(
    client: openai.OpenAI, arm: CognitiveServicesManagementClient
) -> None:
    deploy_base(arm, "base", "gpt-4o-mini")
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
    assert short.model == "gpt-4o-mini-2024-07-18"
    assert short.usage is not None and longer.usage is not None
    assert longer.usage.prompt_tokens > short.usage.prompt_tokens
    assert short.usage.total_tokens == short.usage.prompt_tokens + short.usage.completion_tokens
    assert short.id != longer.id
