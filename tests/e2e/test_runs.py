"""A dataset dropped in blob storage, or a run started over HTTP, ends as a report: through the
dev host running the real function app, Azurite, and the Azure OpenAI emulator."""

from __future__ import annotations

import hashlib
import json
import signal
import time

from azure.storage.blob import BlobServiceClient

from local.processes import REPO
from local.stack import LocalStack
from tests.support.emulator import EmulatorAdmin

SAMPLE = REPO / "data" / "sample"
TRAINING = (SAMPLE / "training.jsonl").read_bytes()
VALIDATION = (SAMPLE / "validation.jsonl").read_bytes()
FINISHED = ("Completed", "Failed", "Terminated")


def jobs_of(emulator: EmulatorAdmin, run: str) -> list[dict]:
    return [
        job
        for job in emulator.state()["jobs"]
        if (job.get("metadata") or {}).get("ft_run_key", "").startswith(f"ft-{run}/")
    ]


def uploads_named(emulator: EmulatorAdmin, data: bytes) -> list[dict]:
    name = f"{hashlib.sha256(data).hexdigest()}.jsonl"
    return [f for f in emulator.state()["files"] if f["filename"] == name]


def at_stage(stage: str):
    return lambda run: run.get("stage") == stage or run.get("runtime_status") in FINISHED


def report_of(stack: LocalStack, run: dict) -> dict:
    return json.loads(stack.read_blob(run["report"]["report.json"]))


def attempts_of(stack: LocalStack, run: str) -> set[str]:
    return {blob.name.split("/")[2] for blob in stack.container.list_blobs(name_starts_with=f"runs/{run}/")}


def test_a_blob_drop_ends_deployed_smoke_tested_and_reported(stack, emulator):
    stack.upload_run("drop", {"training.jsonl": TRAINING, "validation.jsonl": VALIDATION})
    stack.upload_run("drop", {"training.jsonl": TRAINING})  # the same blob again, while collecting
    stack.upload_run("drop", {"notes.txt": b"ignored"})
    run = stack.wait_for_run("drop", timeout=180)
    assert run["result"] == "succeeded", run
    report = report_of(stack, run)
    assert set(run["report"]) >= {"report.json", "report.md", "loss.svg"}
    assert b"<svg" in stack.read_blob(run["report"]["loss.svg"])
    assert report["smoke_test"]["answer"] and report["deployment"]["provisioning_state"] == "Succeeded"
    assert report["validation"]["training"]["examples"] == 10
    deployments = [d for d in emulator.state()["deployments"] if d["name"] == "ft-drop"]
    assert deployments and deployments[0]["model"] == report["job"]["fine_tuned_model"]
    # three events for the run, one orchestration: one job, one upload per file, one report folder
    assert len(jobs_of(emulator, "drop")) == 1
    assert len(uploads_named(emulator, TRAINING)) == 1 and len(uploads_named(emulator, VALIDATION)) == 1
    assert len(attempts_of(stack, "drop")) == 1
    listed = [item for item in stack.api("GET", "runs")[1]["runs"] if item["run"] == "drop"]
    assert len(listed) == 1 and listed[0]["result"] == "succeeded"
    assert stack.api("POST", "runs/drop/approve", {"approved": True})[0] == 409  # no gate is waiting


def test_invalid_data_ends_with_a_report_naming_the_lines_and_uploads_nothing(stack, emulator):
    bad = TRAINING.rstrip(b"\n") + b'\n{"messages": [{"role": "user", "content": "no answer"}]}\n{not json\n'
    stack.upload_run("broken", {"training.jsonl": bad})
    run = stack.wait_for_run("broken", timeout=120)
    assert run["result"] == "failed" and run["errors"][0]["code"] == "invalid_data"
    assert run["errors"][0]["stage"] == "validating"
    report = report_of(stack, run)
    errors = {(e["line"], e["code"]) for e in report["validation"]["training"]["errors"]}
    assert {(11, "no_assistant_message"), (12, "invalid_json")} <= errors
    markdown = stack.read_blob(run["report"]["report.md"]).decode()
    assert "invalid_json" in markdown and "12" in markdown
    assert uploads_named(emulator, bad) == [] and jobs_of(emulator, "broken") == []


def test_a_redelivered_event_starts_nothing_but_a_new_upload_starts_a_new_attempt(stack):
    bad = b'{"messages": []}\n'
    stack.upload_run("again", {"training.jsonl": bad})
    first = stack.wait_for_run("again", timeout=120)
    assert first["result"] == "failed" and len(attempts_of(stack, "again")) == 1
    # Forget the blob receipt, as a lost receipt or a redelivered Event Grid event would:
    # the trigger fires again for the same blob version and must see it is older than the run.
    receipts = BlobServiceClient.from_connection_string(
        stack.azurite.extra["connection_string"]
    ).get_container_client("azure-webjobs-hosts")
    forgotten = [
        b.name
        for b in receipts.list_blobs(name_starts_with="blobreceipts/")
        if b.name.endswith("/incoming/again/training.jsonl")
    ]
    assert forgotten
    for name in forgotten:
        receipts.delete_blob(name)
    deadline = time.monotonic() + 30
    while (
        time.monotonic() < deadline
        and "duplicate event for incoming/again/training.jsonl" not in stack.host.log()
    ):
        time.sleep(0.5)
    assert "duplicate event for incoming/again/training.jsonl" in stack.host.log()
    assert stack.api("GET", "runs/again")[1]["created"] == first["created"]
    assert len(attempts_of(stack, "again")) == 1
    time.sleep(1.1)  # attempt folders are named by the second
    stack.upload_run("again", {"training.jsonl": bad})
    second = stack.wait_for_run(
        "again",
        timeout=120,
        until=lambda run: run["created"] != first["created"] and run.get("runtime_status") in FINISHED,
    )
    assert second["result"] == "failed" and len(attempts_of(stack, "again")) == 2


def test_http_run_needs_the_key_can_be_followed_and_cancelled(stack, emulator):
    stack.upload_run("api-cancel", {"training.jsonl": TRAINING})
    body = {"training": "incoming/api-cancel/training.jsonl"}
    assert stack.api("POST", "runs", body, key=None)[0] == 401
    assert stack.api("POST", "runs", body, key="wrong")[0] == 401
    status, started = stack.api("POST", "runs", body)
    assert status == 202 and started["id"] == "ft-api-cancel"
    # our own URLs, from the configured base URL; never the Durable management URLs and their key
    assert started["links"]["self"] == f"{stack.host.url}/api/runs/api-cancel"
    assert not any(
        key in started for key in ("terminatePostUri", "purgeHistoryDeleteUri", "statusQueryGetUri")
    )
    assert "code=" not in json.dumps(started)
    assert stack.api("GET", started["links"]["self"])[1]["id"] == "ft-api-cancel"
    assert stack.api("POST", "runs", body)[0] == 409  # already in progress
    stack.wait_for_run("api-cancel", timeout=120, until=at_stage("training"))
    assert stack.api("POST", "runs/api-cancel/cancel", {"reason": "e2e"})[0] == 202
    run = stack.wait_for_run("api-cancel", timeout=120)
    assert run["result"] == "cancelled"
    assert [job["status"] for job in jobs_of(emulator, "api-cancel")] == ["cancelled"]
    report = report_of(stack, run)
    assert report["status"] == "cancelled" and any(
        note.startswith("cancelled fine-tuning job") for note in report["cleanup"]
    )
    assert stack.api("POST", "runs/api-cancel/cancel")[0] == 409  # nothing left to cancel


def test_http_run_waits_at_the_approval_gate_until_approved(stack, emulator):
    stack.upload_run("gated", {"training.jsonl": TRAINING})
    status, _ = stack.api(
        "POST",
        "runs",
        {
            "run": "gated",
            "training": "incoming/gated/training.jsonl",
            "options": {"approval": "training", "seed": 105},
        },
    )
    assert status == 202
    waiting = stack.wait_for_run("gated", timeout=60, until=at_stage("awaiting_approval:training"))
    assert waiting["stage"] == "awaiting_approval:training" and jobs_of(emulator, "gated") == []
    assert stack.api("POST", "runs/gated/approve", {"approved": True, "by": "e2e"})[0] == 202
    run = stack.wait_for_run("gated", timeout=180)
    assert run["result"] == "succeeded"
    assert [job["seed"] for job in jobs_of(emulator, "gated")] == [105]


def test_http_mistakes_are_4xx_problems(stack):
    stack.put_blob("datasets/mistakes.jsonl", TRAINING)  # outside incoming/: no blob-started run
    cases = [
        ({"training": "datasets/mistakes.jsonl", "sufix": "x"}, 400),
        ({"training": "../other/training.jsonl"}, 400),
        ({"training": "https://evil.example/training.jsonl"}, 400),
        ({"training": "datasets/mistakes.jsonl", "options": {"seed": "abc"}}, 400),
        ({"training": "datasets/mistakes.jsonl", "options": {"approval": "sometimes"}}, 400),
        ({"training": "datasets/mistakes.jsonl"}, 400),  # no run name and no run folder
        ({"training": "incoming/nowhere/training.jsonl"}, 422),
        ({"run": "bad name!", "training": "datasets/mistakes.jsonl"}, 400),
    ]
    for body, expected in cases:
        status, problem = stack.api("POST", "runs", body)
        assert (status, problem["status"]) == (expected, expected), (body, problem)
        assert problem["detail"]
    assert stack.api("GET", "runs/never-started")[0] == 404
    assert stack.api("POST", "runs/never-started/approve", {"approved": True})[0] == 404
    assert stack.api("POST", "runs/never-started/approve", {"approved": "yes"})[0] == 400
    assert stack.api("GET", "runs?limit=many")[0] == 400


def test_validate_endpoint_checks_a_blob_or_an_inline_body(stack):
    stack.put_blob("datasets/check.jsonl", TRAINING)
    status, report = stack.api("POST", "validate", {"blob": "datasets/check.jsonl"})
    assert status == 200 and report["valid"] is True and report["examples"] == 10
    assert stack.api("POST", "validate", {"blob": "../x.jsonl"})[0] == 400
    assert stack.api("POST", "validate", {"blob": "datasets/missing.jsonl"})[0] == 404
    status, inline = stack.api(
        "POST", "validate", b'{"messages": []}\n\xff\n', content_type="application/jsonl"
    )
    assert status == 200 and inline["valid"] is False
    assert {(e["line"], e["code"]) for e in inline["errors"]} >= {(2, "invalid_utf8")}
    assert stack.api("POST", "validate", b"<xml/>", content_type="application/xml")[0] == 415


def test_killing_the_host_during_training_repeats_no_side_effect(stack, emulator):
    stack.upload_run("crash", {"training.jsonl": TRAINING, "validation.jsonl": VALIDATION})
    training = stack.wait_for_run(
        "crash", timeout=120, until=lambda run: (run.get("progress") or {}).get("step")
    )
    assert training["stage"] == "training" and training["job"]["id"].startswith(
        "ftjob-"
    )  # progress is visible
    stack.host.stop(signal.SIGKILL)
    time.sleep(1)
    stack.start_host()
    run = stack.wait_for_run("crash", timeout=180)
    assert run["result"] == "succeeded", run
    assert len(jobs_of(emulator, "crash")) == 1
    assert len(uploads_named(emulator, TRAINING)) == 1 and len(uploads_named(emulator, VALIDATION)) == 1
    assert len(attempts_of(stack, "crash")) == 1
