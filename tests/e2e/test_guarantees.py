"""The product's promises, tried as a careless user, a hostile one and an operator with the Durable
system key would try them (issue 8): every run ends with a report and nothing left billing, a
file landing mid-run is never silently dropped, and every client mistake is a 4xx problem."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from local.processes import REPO
from local.stack import LocalStack
from tests.e2e.test_runs import TRAINING, VALIDATION, at_stage, jobs_of, report_of, uploads_named
from tests.host.support import eventually
from tests.support.emulator import EmulatorAdmin

FINISHED = ("Completed", "Failed", "Terminated")


def durable(stack: LocalStack, method: str, path: str) -> int:
    """Call the Durable management API directly, as someone holding the system key can."""
    url = f"{stack.host.url}/runtime/webhooks/durabletask/{path}"
    separator = "&" if "?" in url else "?"
    request = urllib.request.Request(
        f"{url}{separator}code={stack.options.function_key}", method=method, data=b""
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def paused_while_training(stack: LocalStack, run: str) -> dict:
    """A run whose job is paused: it stays unfinished (billing, in Azure) until someone acts."""
    stack.upload_run(run, {"training.jsonl": TRAINING})
    stack.wait_for_run(run, timeout=120, until=lambda view: (view.get("progress") or {}).get("step"))
    assert stack.api("POST", f"runs/{run}/pause", {})[0] == 202
    return stack.wait_for_run(
        run, timeout=60, until=lambda view: (view.get("job") or {}).get("status") == "paused"
    )


def report_blob(stack: LocalStack, run: str, attempt: str) -> dict | None:
    path = f"runs/{run}/{attempt}/report.json"
    if not stack.container.get_blob_client(path).exists():
        return None
    return json.loads(stack.read_blob(path))


def test_a_terminated_run_is_finished_by_the_reconciler(stack: LocalStack, emulator: EmulatorAdmin) -> None:
    """terminatePostUri stops the orchestration, not the Azure job: the reconciler cancels the job
    and writes the report the run never wrote."""
    attempt = paused_while_training(stack, "terminated")["attempt"]
    assert durable(stack, "POST", "instances/ft-terminated/terminate?reason=by-hand") == 202
    report = eventually(
        lambda: report_blob(stack, "terminated", attempt), stack.host, "the reconciler's report", 120
    )
    assert report["status"] == "cancelled" and report["errors"][0]["code"] == "run_terminated"
    assert [job["status"] for job in jobs_of(emulator, "terminated")] == ["cancelled"]
    assert any(note.startswith("cancelled fine-tuning job") for note in report["cleanup"])


def test_a_purged_run_is_found_through_its_job_and_finished(
    stack: LocalStack, emulator: EmulatorAdmin
) -> None:
    attempt = paused_while_training(stack, "purged")["attempt"]
    assert durable(stack, "POST", "instances/ft-purged/terminate?reason=by-hand") == 202
    eventually(
        lambda: stack.api("GET", "runs/purged")[1].get("runtime_status") == "Terminated",
        stack.host,
        "termination",
    )
    assert durable(stack, "DELETE", "instances/ft-purged") == 200
    assert stack.api("GET", "runs/purged")[0] == 404  # its history is gone
    report = eventually(
        lambda: report_blob(stack, "purged", attempt), stack.host, "the reconciler's report", 120
    )
    assert report["status"] == "cancelled"
    assert [job["status"] for job in jobs_of(emulator, "purged")] == ["cancelled"]


def test_a_file_landing_mid_run_is_reported_and_a_new_attempt_picks_it_up(
    stack: LocalStack, emulator: EmulatorAdmin
) -> None:
    stack.upload_run("late", {"training.jsonl": TRAINING})
    first = stack.wait_for_run("late", timeout=120, until=at_stage("training"))
    changed = TRAINING.rstrip() + b"\n" + TRAINING.splitlines(keepends=True)[0]
    stack.upload_run("late", {"training.jsonl": changed, "validation.jsonl": VALIDATION})
    during = eventually(
        lambda: (view := stack.api("GET", "runs/late")[1]).get("late_files") and view,
        stack.host,
        "late files",
    )
    assert set(during["late_files"]) == {"incoming/late/training.jsonl", "incoming/late/validation.jsonl"}
    ended = stack.wait_for_run("late", timeout=180)
    assert ended["result"] == "succeeded"
    report = report_of(stack, ended)
    assert {(f["path"], f["change"]) for f in report["late_files"]} == {
        ("incoming/late/training.jsonl", "changed"),
        ("incoming/late/validation.jsonl", "new"),
    }
    assert uploads_named(emulator, changed) == []  # the attempt trained only what it validated
    status, started = stack.api("POST", "runs", {"run": "late"})
    assert status == 202, started
    second = stack.wait_for_run(
        "late",
        timeout=180,
        until=lambda run: run["attempt"] != first["attempt"] and run["runtime_status"] in FINISHED,
    )
    assert second["result"] == "succeeded"
    assert len(uploads_named(emulator, changed)) == 1 and len(jobs_of(emulator, "late")) == 2


def test_route_ids_are_run_names_so_similar_names_never_collide(stack: LocalStack) -> None:
    for run in ("amb", "ft-amb"):
        stack.upload_run(run, {"run.json": b'{"approval": "training"}', "training.jsonl": TRAINING})
    for run in ("amb", "ft-amb"):
        stack.wait_for_run(run, timeout=60, until=at_stage("awaiting_approval:training"))
    assert stack.api("POST", "runs/ft-amb/cancel", {"reason": "only this one"})[0] == 202
    assert stack.wait_for_run("ft-amb", timeout=60)["result"] == "cancelled"
    assert stack.api("GET", "runs/amb")[1]["stage"] == "awaiting_approval:training"
    assert stack.api("GET", "runs/ft-amb")[1]["id"] == "ft-ft-amb"
    stack.api("POST", "runs/amb/cancel")
    assert stack.wait_for_run("amb", timeout=60)["result"] == "cancelled"


def raw(
    stack: LocalStack, method: str, route: str, body: bytes, headers: dict[str, str]
) -> tuple[int, dict, dict]:
    request = urllib.request.Request(
        f"{stack.host.url}/api/{route}",
        data=body,
        method=method,
        headers={"x-functions-key": stack.options.function_key, **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers), json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read() or b"null")


def test_client_mistakes_are_problems_never_500s(stack: LocalStack) -> None:
    deep = b'{"run": "deep", "options": ' + b"[" * 2000 + b"]" * 2000 + b"}"
    for route in ("runs", "validate", "runs/deep/approve", "runs/deep/cancel"):
        status, headers, problem = raw(stack, "POST", route, deep, {"Content-Type": "application/json"})
        assert status in (400, 404), (route, status, problem)
        assert headers["Content-Type"].startswith("application/problem+json") and problem["status"] == status
    status, _, problem = raw(
        stack,
        "POST",
        "runs",
        json.dumps({"run": "name\n", "training": "incoming/x/training.jsonl"}).encode(),
        {"Content-Type": "application/json"},
    )
    assert status == 400 and "run" in problem["detail"]
    assert stack.api("GET", "runs/name%0A")[0] == 400
    assert stack.api("GET", "runs/name%0A")[1]["code"] == "invalid_run_name"


def test_inline_validation_honours_the_documented_16_mb(stack: LocalStack) -> None:
    line = (REPO / "data" / "sample" / "training.jsonl").read_bytes().splitlines(keepends=True)[0]
    two_mb = line * (2 * 1024 * 1024 // len(line) + 1)
    status, _, report = raw(stack, "POST", "validate", two_mb, {"Content-Type": "application/jsonl"})
    assert status == 200 and report["examples"] > 1000
    too_big = b" " * (16 * 1024 * 1024 + 1)
    status, headers, problem = raw(stack, "POST", "validate", too_big, {"Content-Type": "application/jsonl"})
    assert status == 413 and headers["Content-Type"].startswith("application/problem+json")
    assert "16 MB" in problem["detail"]


def test_answers_never_take_their_urls_from_the_host_header(stack: LocalStack) -> None:
    stack.put_blob("datasets/spoof.jsonl", TRAINING)
    body = {"run": "spoof", "training": "datasets/spoof.jsonl", "options": {"approval": "training"}}
    status, headers, started = raw(
        stack,
        "POST",
        "runs",
        json.dumps(body).encode(),
        {"Content-Type": "application/json", "Host": "evil.example", "X-Forwarded-Host": "evil.example"},
    )
    assert status == 202
    assert headers["Location"] == f"{stack.host.url}/api/runs/spoof"
    assert "evil.example" not in json.dumps(started) and stack.options.function_key not in json.dumps(started)
    stack.api("POST", "runs/spoof/cancel")
    stack.wait_for_run("spoof", timeout=60)
