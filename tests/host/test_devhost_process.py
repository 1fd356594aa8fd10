"""The dev host as a real process: HTTP auth, the durable client API, blob triggers, kill and restart."""

from __future__ import annotations

import json
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from azure.storage.blob import BlobServiceClient

from local.host.launch import start_devhost
from local.processes import Service
from tests.host.support import KEY, call, eventually, wait_for_status

SAMPLE_APP = Path(__file__).parent / "sample_app"


@pytest.fixture
def host_env(azurite: Service, tmp_path: Path) -> dict[str, str]:
    return {
        "AzureWebJobsStorage": azurite.extra["connection_string"],
        "SAMPLE_CONTAINER": f"sample-{uuid.uuid4().hex[:8]}",
        "SAMPLE_TASK_HUB": "SampleHub",
        "SAMPLE_BLOB_LOG": str(tmp_path / "blob.log"),
    }


@pytest.fixture
def devhost(tmp_path: Path, host_env: dict[str, str]) -> Iterator[Service]:
    service = start_devhost(tmp_path, SAMPLE_APP, env=host_env, function_key=KEY)
    yield service
    service.stop()


def test_http_routes_methods_and_auth_levels(devhost: Service):
    assert call("GET", f"{devhost.url}/api/hello/ada?greeting=hi")[::2] == (200, "hello ada hi")
    assert call("POST", f"{devhost.url}/api/echo/x", {"a": 1})[0] == 401
    assert call("POST", f"{devhost.url}/api/echo/x?code=wrong", {"a": 1})[0] == 401
    code, headers, body = call(
        "PUT",
        f"{devhost.url}/api/echo/item-1",
        {"a": 1},
        {"x-functions-key": KEY, "x-test": "t", "Content-Type": "application/json"},
    )
    assert (code, headers["x-echo"], headers["Content-Type"]) == (
        201,
        "yes",
        "application/json; charset=utf-8",
    )
    assert json.loads(body) == {
        "method": "PUT",
        "item": "item-1",
        "body": {"a": 1},
        "header": "t",
        "url": f"{devhost.url}/api/echo/item-1",
    }
    assert call("GET", f"{devhost.url}/api/echo/x?code={KEY}")[0] == 405
    assert call("GET", f"{devhost.url}/api/admin/ping")[0] == 401
    assert call("GET", f"{devhost.url}/api/admin/ping?code={KEY}")[::2] == (200, "pong")
    assert "Executed 'hello'" in devhost.log()


def test_durable_client_start_status_urls_events_and_conflicts(devhost: Service):
    code, headers, body = call("POST", f"{devhost.url}/api/start/sequence/seq-1?code={KEY}", 4)
    assert code == 202
    urls = json.loads(body)
    assert headers["Location"] == urls["statusQueryGetUri"]
    assert urls["statusQueryGetUri"] == (
        f"{devhost.url}/runtime/webhooks/durabletask/instances/seq-1"
        f"?taskHub=SampleHub&connection=Storage&code={KEY}"
    )
    assert call("GET", urls["statusQueryGetUri"].replace(f"code={KEY}", "code=nope"))[0] == 401
    final = eventually(
        lambda: (r := call("GET", urls["statusQueryGetUri"]))[0] == 200 and json.loads(r[2]),
        devhost,
        "status 200",
    )
    assert (final["runtimeStatus"], final["output"], final["input"]) == ("Completed", [5, 7, 10], 4)
    assert final["customStatus"] == {"stage": "done"}

    # a running instance id cannot be started again; after it ended it can
    waiting = json.loads(call("POST", f"{devhost.url}/api/start/early_event/ev-1?code={KEY}")[2])
    wait_for_status(devhost, "ev-1", "Running")
    assert call("POST", f"{devhost.url}/api/start/early_event/ev-1?code={KEY}")[0] == 409
    send = waiting["sendEventPostUri"].replace("{eventName}", "go")
    assert call("POST", send, {"ok": True}, {"Content-Type": "application/json"})[0] == 202
    assert wait_for_status(devhost, "ev-1")["output"] == [2, {"ok": True}]
    assert call("POST", f"{devhost.url}/api/start/early_event/ev-1?code={KEY}")[0] == 202

    # terminate, then purge, through the management URLs
    wait_for_status(devhost, "ev-1", "Running")
    assert call("POST", waiting["terminatePostUri"].replace("{text}", "stop"))[0] == 202
    assert wait_for_status(devhost, "ev-1", "Terminated")["output"] == "stop"
    assert call("DELETE", waiting["purgeHistoryDeleteUri"])[::2] == (200, '{"instancesDeleted": 1}')
    assert call("GET", waiting["statusQueryGetUri"])[0] == 404

    # the durable client inside a function reads the same status
    code, _, body = call("GET", f"{devhost.url}/api/status/seq-1?code={KEY}")
    assert (code, json.loads(body)["output"]) == (200, [5, 7, 10])
    listed = json.loads(
        call(
            "GET", f"{devhost.url}/runtime/webhooks/durabletask/instances/?runtimeStatus=Completed&code={KEY}"
        )[2]
    )
    assert [item["instanceId"] for item in listed] == ["seq-1"]


def test_blob_trigger_fires_once_per_blob_version_across_restarts(
    tmp_path: Path, host_env: dict[str, str], azurite: Service
):
    blob_log = Path(host_env["SAMPLE_BLOB_LOG"])
    container = BlobServiceClient.from_connection_string(
        azurite.extra["connection_string"]
    ).get_container_client(host_env["SAMPLE_CONTAINER"])
    container.create_container()
    service = start_devhost(tmp_path, SAMPLE_APP, env=host_env, function_key=KEY)
    try:
        container.upload_blob("incoming/r1/training.jsonl", b'{"a": 1}\n')
        container.upload_blob("elsewhere/r1/training.jsonl", b"not watched")
        eventually(lambda: blob_log.exists() and blob_log.read_text(), service, "the blob trigger")
        fired = json.loads(blob_log.read_text())
        assert (fired["name"], fired["data"], fired["length"]) == (
            f"{host_env['SAMPLE_CONTAINER']}/incoming/r1/training.jsonl",
            '{"a": 1}\n',
            9,
        )
        wait_for_status(service, "blob-r1")
        time.sleep(1.5)  # a few more polls: still one invocation
    finally:
        service.stop()
    service = start_devhost(tmp_path, SAMPLE_APP, env=host_env, function_key=KEY)
    try:
        container.upload_blob("incoming/r1/validation.jsonl", b"{}\n")
        eventually(lambda: len(blob_log.read_text().splitlines()) >= 2, service, "the second blob")
        time.sleep(1.5)
        names = [json.loads(line)["name"].split("/", 1)[1] for line in blob_log.read_text().splitlines()]
        assert names == ["incoming/r1/training.jsonl", "incoming/r1/validation.jsonl"]
        receipts = (
            BlobServiceClient.from_connection_string(azurite.extra["connection_string"])
            .get_container_client("azure-webjobs-hosts")
            .list_blobs(name_starts_with="blobreceipts/")
        )
        assert sum(item.name.endswith("incoming/r1/training.jsonl") for item in receipts) == 1
    finally:
        service.stop()


def test_sigkill_during_a_durable_timer_then_restart_finishes_the_orchestration(
    tmp_path: Path, host_env: dict[str, str]
):
    record = tmp_path / "record.txt"
    service = start_devhost(tmp_path, SAMPLE_APP, env=host_env, function_key=KEY)
    try:
        body = {"path": str(record), "seconds": 3}
        assert call("POST", f"{service.url}/api/start/sleepy/nap-1?code={KEY}", body)[0] == 202
        eventually(lambda: record.exists() and record.read_text(), service, "the first activity")
        wait_for_status(service, "nap-1", "Running")
    finally:
        service.stop(signal.SIGKILL)
    service = start_devhost(tmp_path, SAMPLE_APP, env=host_env, function_key=KEY)
    try:
        final = wait_for_status(service, "nap-1")
        assert final["output"] == "slept"
        assert record.read_text().splitlines() == ["before", "after"]
    finally:
        service.stop()
