"""Each activity against Azurite and the emulator, through the app's registered functions.

Activities run at least once, so the tests call them twice and count the side effects in the
emulator: one upload per dataset, one job, one deployment.
"""

from __future__ import annotations

import hashlib
import json
import time

from tests.pipeline.conftest import SAMPLE, activity, upload_run
from tuning.options import RunOptions, merge_options
from tuning.payloads import DatasetBlob, ResolveInput, RunRequest

ATTEMPT = "20261129T010000Z"


def call(name: str, payload):
    return activity(name)(payload)


def result_of(name: str, payload):
    outcome = call(name, payload)
    assert outcome.get("failure") is None, outcome
    return outcome["result"]


def resolve(run: str, **request) -> dict:
    return result_of(
        "resolve_run",
        ResolveInput(request=RunRequest(run=run, source="blob", **request), attempt=ATTEMPT).dump(),
    )


def wait_processed(file_ids: list[str]) -> None:
    for _ in range(100):
        statuses = [result_of("get_file_status", file_id)["status"] for file_id in file_ids]
        if all(status == "processed" for status in statuses):
            return
        time.sleep(0.1)
    raise AssertionError(f"files never processed: {statuses}")


def test_resolve_run_reads_the_folder_and_run_json(clients):
    upload_run(
        clients,
        "lab",
        {
            "training.jsonl": SAMPLE / "training.jsonl",
            "validation.jsonl": SAMPLE / "validation.jsonl",
            "run.json": json.dumps({"seed": 105, "suffix": "clippy"}).encode(),
        },
    )
    plan = resolve("lab")
    assert [d["kind"] for d in plan["datasets"]] == ["training", "validation"]
    expected = hashlib.sha256((SAMPLE / "training.jsonl").read_bytes()).hexdigest()
    assert plan["datasets"][0]["sha256"] == expected
    assert plan["options"]["seed"] == 105 and plan["options"]["suffix"] == "clippy"
    assert plan["options"]["base_model"] == "gpt-4o-2024-08-06"
    assert plan["report_folder"] == f"runs/lab/{ATTEMPT}/"
    assert plan["price_per_1m_tokens"] == 25.0


def test_resolve_run_refuses_unknown_option_keys_with_the_file_name(clients):
    upload_run(clients, "typo", {"training.jsonl": SAMPLE / "training.jsonl", "run.json": b'{"sufix": "x"}'})
    outcome = call(
        "resolve_run", ResolveInput(request=RunRequest(run="typo", source="blob"), attempt=ATTEMPT).dump()
    )
    assert outcome["result"] is None
    assert (
        "incoming/typo/run.json" in outcome["failure"]["message"] and "sufix" in outcome["failure"]["message"]
    )


def test_resolve_run_without_training_data_fails_permanently(clients):
    upload_run(clients, "empty", {"validation.jsonl": SAMPLE / "validation.jsonl"})
    outcome = call(
        "resolve_run", ResolveInput(request=RunRequest(run="empty", source="blob"), attempt=ATTEMPT).dump()
    )
    assert outcome["failure"]["code"] == "missing_training_file"


def test_validation_summary_and_full_report_blob(clients):
    bad_lines = b'{"messages": [{"role": "user", "content": "hi"}]}\nnot json\n'
    upload_run(clients, "bad", {"training.jsonl": bad_lines + (SAMPLE / "training.jsonl").read_bytes()})
    plan = resolve("bad")
    summary = result_of(
        "validate_dataset",
        {
            "dataset": plan["datasets"][0],
            "model": "gpt-4o-2024-08-06",
            "method": "supervised",
            "n_epochs": None,
            "report_folder": plan["report_folder"],
        },
    )
    assert summary["valid"] is False
    assert {(e["line"], e["code"]) for e in summary["errors"]} >= {
        (1, "no_assistant_message"),
        (2, "invalid_json"),
    }
    full = json.loads(clients.store.container.download_blob(summary["report_blob"]).readall())
    assert full["file"] == "incoming/bad/training.jsonl" and full["valid"] is False


def test_upload_submit_are_idempotent(clients, admin):
    upload_run(
        clients,
        "twice",
        {"training.jsonl": SAMPLE / "training.jsonl", "validation.jsonl": SAMPLE / "validation.jsonl"},
    )
    plan = resolve("twice")
    uploads = [result_of("upload_file", {"dataset": d}) for d in plan["datasets"]]
    again = [result_of("upload_file", {"dataset": d}) for d in plan["datasets"]]
    assert [u["id"] for u in uploads] == [a["id"] for a in again]
    assert [a["reused"] for a in again] == [True, True]
    assert len(admin.state()["files"]) == 2
    wait_processed([u["id"] for u in uploads])

    options = merge_options(clients.settings, "twice", RunOptions(seed=105)).model_dump(mode="json")
    submit = {
        "run_key": f"ft-twice/{ATTEMPT}",
        "training_file": uploads[0]["id"],
        "validation_file": uploads[1]["id"],
        "options": options,
    }
    first, second = result_of("submit_fine_tune", submit), result_of("submit_fine_tune", submit)
    assert first["id"] == second["id"] and second["reused"] is True
    jobs = admin.state()["jobs"]
    assert len(jobs) == 1 and jobs[0]["seed"] == 105


def test_a_400_from_the_service_is_a_permanent_failure(clients):
    options = merge_options(clients.settings, "x", RunOptions()).model_dump(mode="json")
    outcome = call(
        "submit_fine_tune",
        {"run_key": "k", "training_file": "file-does-not-exist", "validation_file": None, "options": options},
    )
    assert outcome["result"] is None and outcome["failure"]["code"]


def test_training_deploy_smoke_test_and_report(clients, admin):
    upload_run(
        clients,
        "full",
        {"training.jsonl": SAMPLE / "training.jsonl", "validation.jsonl": SAMPLE / "validation.jsonl"},
    )
    plan = resolve(
        "full",
    )
    uploads = [result_of("upload_file", {"dataset": d}) for d in plan["datasets"]]
    wait_processed([u["id"] for u in uploads])
    job = result_of(
        "submit_fine_tune",
        {
            "run_key": f"ft-full/{ATTEMPT}",
            "training_file": uploads[0]["id"],
            "validation_file": uploads[1]["id"],
            "options": plan["options"],
        },
    )
    for _ in range(100):
        status = result_of("get_job_status", job["id"])
        if status["status"] == "succeeded":
            break
        time.sleep(0.1)
    assert status["status"] == "succeeded" and status["fine_tuned_model"].startswith("gpt-4o-2024-08-06.ft-")
    assert status["trained_tokens"] > 0 and status["progress"]["step"] is not None
    choice = result_of("list_checkpoints", job["id"])
    assert choice["valid_loss"] is not None and "lowest validation loss" in choice["reason"]

    deployment = {"name": "ft-full", "model": status["fine_tuned_model"], "sku": "Standard", "capacity": 1}
    admin.deployment_not_ready_seconds(1.0)
    result_of("deploy_model", deployment)
    result_of("deploy_model", deployment)
    assert len(admin.state()["deployments"]) == 1
    smoke = {"deployment": "ft-full", "messages": plan["options"]["smoke_test_messages"]}
    early = result_of("smoke_test", smoke)
    assert early["ok"] is False and early["retryable"] is True
    for _ in range(100):
        if result_of("get_deployment_status", "ft-full")["provisioning_state"] == "Succeeded":
            break
        time.sleep(0.1)
    for _ in range(50):
        answer = result_of("smoke_test", smoke)
        if answer["ok"]:
            break
        time.sleep(0.1)
    assert answer["ok"] and answer["answer"] and answer["usage"]["total_tokens"] > 0

    report = {
        "run": "full",
        "attempt": ATTEMPT,
        "status": "succeeded",
        "stages": [],
        "errors": [],
        "smoke_test": {"answer": answer["answer"]},
    }
    written = result_of(
        "write_report",
        {"report_folder": plan["report_folder"], "report": report, "result_file": status["result_files"][0]},
    )
    container = clients.store.container
    saved = json.loads(container.download_blob(written["artifacts"]["report.json"]).readall())
    assert saved["metrics"]["steps"] > 0 and saved["metrics"]["final"]["train_loss"] is not None
    assert b"<svg" in container.download_blob(written["artifacts"]["loss.svg"]).readall()
    assert b"succeeded" in container.download_blob(written["artifacts"]["report.md"]).readall()


def test_cancel_moves_a_running_job_to_cancelled(clients, admin):
    upload_run(clients, "stop", {"training.jsonl": SAMPLE / "training.jsonl"})
    plan = resolve("stop")
    upload = result_of("upload_file", {"dataset": plan["datasets"][0]})
    wait_processed([upload["id"]])
    job = result_of(
        "submit_fine_tune",
        {
            "run_key": "stop",
            "training_file": upload["id"],
            "validation_file": None,
            "options": plan["options"],
        },
    )
    assert result_of("cancel_job", job["id"])["status"] == "cancelled"
    assert result_of("cancel_job", job["id"])["status"] == "cancelled"  # a second cancel is harmless


def test_dataset_blob_payload_round_trips():
    blob = DatasetBlob(kind="training", path="incoming/a/training.jsonl", sha256="0" * 64, size=3)
    assert DatasetBlob.model_validate(blob.dump()) == blob


def test_large_datasets_go_through_the_uploads_api_and_are_reused_too(clients, admin):
    from tuning.fine_tuning import upload_dataset

    upload_run(clients, "big", {"training.jsonl": SAMPLE / "training.jsonl"})
    dataset = DatasetBlob.model_validate(resolve("big")["datasets"][0])
    first = upload_dataset(clients.openai, dataset, clients.store.open_stream, threshold=100, part_size=1024)
    state = admin.state()
    assert len(state["uploads"]) == 1 and state["uploads"][0]["file_id"] == first.id
    assert state["uploads"][0]["bytes"] == dataset.size > 1024  # several parts
    wait_processed([first.id])
    again = upload_dataset(clients.openai, dataset, clients.store.open_stream, threshold=100, part_size=1024)
    assert again.reused and again.id == first.id and len(admin.state()["uploads"]) == 1
