"""The Durable Functions application patterns, each a sample app as a user writes it, on the dev host.

Every app is started unchanged (`python -m local.host` on its folder); the tests drive it over
HTTP like a client would and check the documented outcome.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from azure.storage.blob import BlobServiceClient

from local.processes import Service
from tests.host.samples.conftest import StartHost
from tests.host.support import KEY, WEBHOOKS, call, eventually, status_of, wait_for_status


def start(host: Service, route: str, body: object = None) -> dict[str, Any]:
    """POST to an HTTP starter; the check-status payload it answers with."""
    code, headers, text = call("POST", f"{host.url}/api/{route}", body if body is not None else {})
    assert code == 202, f"{route}: {code} {text}\n{host.log()[-3000:]}"
    payload: dict[str, Any] = json.loads(text)
    assert headers["Location"] == payload["statusQueryGetUri"]
    return payload


def test_function_chaining_on_an_app_object_named_myApp(sample_host: StartHost):
    host = sample_host("chaining")
    final = wait_for_status(host, start(host, "orchestrators/hello_sequence")["id"])
    assert final["output"] == ["Hello Tokyo!", "Hello Seattle!", "Hello London!"]
    assert (
        wait_for_status(host, start(host, "orchestrators/shout_sequence")["id"])["output"] == "HELLO CAIRO!"
    )
    assert "hello_sequence" in host.log()  # indexed from `myApp`, not from a variable named `app`


def test_fan_out_fan_in_aggregates_parallel_activities(sample_host: StartHost):
    host = sample_host("fan_out")
    instance = start(host, "orchestrators/sum_of_squares", 10)["id"]
    final = wait_for_status(host, instance)
    assert final["output"] == {"count": 10, "total": 385}
    history = status_of(host, instance, "&showHistory=true")["historyEvents"]
    scheduled = [event for event in history if event["EventType"] == "TaskScheduled"]
    assert [event["Name"] for event in scheduled] == ["get_work_batch"] + ["square"] * 10


def test_async_http_api_polls_the_location_until_done(sample_host: StartHost):
    host = sample_host("async_http")
    payload = start(host, "start/long_operation", {"seconds": 1})
    code, headers, text = call("GET", payload["statusQueryGetUri"])
    assert code == 202
    assert json.loads(text)["runtimeStatus"] in ("Pending", "Running")
    assert (headers["Location"], headers["Retry-After"]) == (payload["statusQueryGetUri"], "5")
    final = eventually(
        lambda: answer if (answer := call("GET", payload["statusQueryGetUri"]))[0] == 200 else None,
        host,
        "the status URL answering 200",
    )
    assert json.loads(final[2])["output"] == {"waited": 1}
    assert "Location" not in final[1]
    # a quick operation answers with its output directly; a slow one with the 202 and its URLs
    quick = call("POST", f"{host.url}/api/start_and_wait/long_operation", {"seconds": 0})
    assert (quick[0], json.loads(quick[2])) == (200, {"waited": 0})


def test_monitor_polls_on_durable_timers_until_the_job_completes(sample_host: StartHost):
    host = sample_host("monitor")
    done = wait_for_status(host, start(host, "monitor/job-1", {"expires_in": 30})["id"])
    assert done["output"] == {"status": "Completed", "checks": 3}
    expired = wait_for_status(host, start(host, "monitor/stuck-1", {"expires_in": 1})["id"])
    assert expired["output"]["status"] == "Expired"
    assert 2 <= expired["output"]["checks"] <= 5


def test_human_interaction_approval_or_escalation(sample_host: StartHost):
    host = sample_host("human_interaction")
    approved = start(host, "approvals", {"item": "laptop", "timeout_seconds": 60})["id"]
    eventually(
        lambda: status_of(host, approved).get("customStatus") == "Waiting for approval", host, "waiting"
    )
    assert call("POST", f"{host.url}/api/approvals/{approved}/answer", {"approved": True})[0] == 202
    assert wait_for_status(host, approved)["output"] == {"item": "laptop", "approved": True}
    escalated = wait_for_status(host, start(host, "approvals", {"item": "car", "timeout_seconds": 1})["id"])
    assert (escalated["output"], escalated["customStatus"]) == (
        {"item": "car", "escalated": True},
        "Escalated",
    )


def test_eternal_orchestration_continues_as_new_with_a_bounded_history(sample_host: StartHost):
    host = sample_host("eternal")
    start(host, "cleanup/janitor")
    status = eventually(
        lambda: (
            ((s := status_of(host, "janitor", "&showHistory=true")).get("customStatus") or {}).get("round", 0)
            >= 4
            and s
        ),
        host,
        "four rounds",
    )
    assert status["runtimeStatus"] in ("Running", "ContinuedAsNew")
    assert status["customStatus"]["removed"] == status["customStatus"]["round"] * 2
    assert len(status["historyEvents"]) <= 8  # one round's events, not every round's
    terminate = f"{host.url}{WEBHOOKS}/instances/janitor/terminate?reason=enough&code={KEY}"
    assert call("POST", terminate)[0] == 202
    assert wait_for_status(host, "janitor", "Terminated")["output"] == "enough"


def test_sub_orchestrations_run_in_parallel_and_report_failures(sample_host: StartHost):
    host = sample_host("sub_orchestrations")
    parent = start(host, "provision", ["tv", "fridge"])["id"]
    output = wait_for_status(host, parent)["output"]
    assert output["provisioned"] == [
        {"device": "tv", "key": "key-tv", "parent": parent},
        {"device": "fridge", "key": "key-fridge", "parent": parent},
    ]
    assert "no key for broken-device" in output["failed"]
    assert status_of(host, f"{parent}-tv")["runtimeStatus"] == "Completed"


def test_retries_recover_or_give_up_and_a_failed_run_can_be_rewound(sample_host: StartHost, tmp_path: Path):
    host = sample_host("retries")
    request = {
        "recovers": {"key": "flaky", "failures": 2},
        "never_recovers": {"key": "down", "failures": 99},
    }
    output = wait_for_status(host, start(host, "orchestrators/with_retries", request)["id"])["output"]
    assert output == {"recovered": "flaky ok after 3 attempts", "gave_up": True}

    marker = tmp_path / "service-is-back"
    failed = start(host, "orchestrators/publish_report", {"title": "q3", "marker": str(marker)})["id"]
    assert "the publishing service is down" in wait_for_status(host, failed, "Failed")["output"]
    marker.touch()
    rewind = f"{host.url}{WEBHOOKS}/instances/{failed}/rewind?reason=fixed&code={KEY}"
    assert call("POST", rewind)[::2] == (202, "")
    assert wait_for_status(host, failed)["output"] == "published draft of q3"
    assert call("POST", rewind)[0] == 410  # a completed instance has nothing to rewind


def test_entities_are_signalled_called_and_read(sample_host: StartHost):
    host = sample_host("entities")
    assert call("GET", f"{host.url}/api/counters/visits")[0] == 404
    for amount in (1, 2, 3):
        assert call("POST", f"{host.url}/api/counters/visits/add", amount)[0] == 202
    eventually(lambda: call("GET", f"{host.url}/api/counters/visits")[2] == "6", host, "the counter at 6")
    orchestration = wait_for_status(host, start(host, "orchestrators/count_visits", "visits")["id"])
    # the signal (+10) was sent before the call (+5): entities process operations in order
    assert orchestration["output"] == {"after_add": 21, "refused": "the counter refuses"}
    entity_url = f"{host.url}{WEBHOOKS}/entities/Counter/visits?code={KEY}"
    assert call("GET", entity_url)[::2] == (200, "21")
    listed = json.loads(call("GET", f"{host.url}{WEBHOOKS}/entities/counter?fetchState=true&code={KEY}")[2])
    assert [(item["entityId"], item["state"]) for item in listed] == [
        ({"key": "visits", "name": "counter"}, 21)
    ]
    assert call("POST", f"{host.url}/api/counters/visits/delete")[0] == 202
    eventually(lambda: call("GET", entity_url)[0] == 404, host, "the deleted entity")


def test_custom_classes_cross_activities_like_the_worker_moves_them(sample_host: StartHost):
    loose = sample_host("custom_types", env={"AZURE_FUNCTIONS_DURABLE_STRICT_TYPING": "0"})
    billed = wait_for_status(
        loose, start(loose, "orchestrators/bill_customer", {"id": 7, "quantity": 3, "price": 2.5})["id"]
    )
    assert billed["output"] == {"type": "Invoice", "number": "INV-7", "total": 7.5}
    trip = wait_for_status(loose, start(loose, "orchestrators/round_trip")["id"])
    assert trip["output"] == {"type": "Invoice", "total": 42.0}

    strict = sample_host("custom_types", env={"AZURE_FUNCTIONS_DURABLE_STRICT_TYPING": "1"})
    instance = start(strict, "orchestrators/bill_customer", {"id": 8, "quantity": 1, "price": 4.0})["id"]
    assert wait_for_status(strict, instance)["output"] == {"type": "Invoice", "number": "INV-8", "total": 4.0}
    history = status_of(strict, instance, "&showHistory=true&showHistoryOutput=true")["historyEvents"]
    [completed] = [event for event in history if event["EventType"] == "TaskCompleted"]
    assert completed["Result"] == {
        "__class__": "Invoice",
        "__module__": "function_app",
        "__data__": json.dumps({"number": "INV-8", "total": 4.0}),
    }
    # strict mode refuses a custom object as activity input (the worker cannot decode it untyped)
    refused = wait_for_status(strict, start(strict, "orchestrators/round_trip")["id"], "Failed")
    assert "activity trigger input must be a string or a valid json serializable" in refused["output"]


def test_blob_input_and_output_bindings_and_a_blob_trigger(sample_host: StartHost, azurite: Service):
    host = sample_host("blob_bindings")
    container = BlobServiceClient.from_connection_string(
        azurite.extra["connection_string"]
    ).get_container_client(host.extra["settings"]["BLOB_CONTAINER"])
    container.create_container()
    container.upload_blob("inbox/hello.txt", "héllo wörld".encode())
    assert call("POST", f"{host.url}/api/copy/hello.txt")[::2] == (200, "copied 11 characters")
    assert container.download_blob("outbox/hello.txt").readall().decode() == "HÉLLO WÖRLD"
    assert call("POST", f"{host.url}/api/copy/missing.txt")[::2] == (404, "no blob inbox/missing.txt")
    raw = bytes(range(256))
    container.upload_blob("inbox/raw.bin", raw)
    assert call("GET", f"{host.url}/api/checksum/raw.bin")[::2] == (200, f"bytes 256 {sum(raw) % 256}")
    assert call("GET", f"{host.url}/api/head/hello.txt?bytes=5")[::2] == (
        200,
        f"{container.container_name}/inbox/hello.txt 13 héll",
    )
    note = {"text": "remember", "id": "n1"}  # {id} in the output path comes from the JSON body
    assert call("POST", f"{host.url}/api/notes", note, {"Content-Type": "application/json"})[0] == 201
    assert container.download_blob("notes/n1.txt").readall() == b"remember"
    container.upload_blob("uploads/report.csv", b"a,b\n1,2\n")
    summary = eventually(
        lambda: next(iter(container.list_blobs(name_starts_with="summaries/")), None),
        host,
        "the summary blob",
    )
    assert summary.name == "summaries/report.csv.txt"
    assert (
        container.download_blob(summary.name).readall().decode()
        == f"{container.container_name}/uploads/report.csv: 8 bytes"
    )
    time.sleep(0.5)  # more polls: the trigger fired once for that blob version
    assert host.log().count("Executed 'summarize'") == 1
