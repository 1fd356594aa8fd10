"""Orchestration versioning as documented: defaultVersion, explicit versions, match and failure strategies.

The scenario of the official `orchestration_versioning` sample: an instance started under
defaultVersion 1.0 waits for an event, the app is redeployed with 2.0, and the instance keeps
its version while a sub-orchestration created after the change gets the new one.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from local.host.launch import start_devhost
from local.processes import Service
from tests.host.samples.conftest import APPS
from tests.host.support import KEY, WEBHOOKS, call, eventually, status_of, wait_for_status


def deploy(tmp_path: Path, durable: dict[str, str]) -> Path:
    """The versioning sample with host.json's extensions.durableTask replaced by `durable`."""
    app = tmp_path / "app"
    if not app.exists():
        shutil.copytree(APPS / "versioning", app)
    host_json = json.loads((app / "host.json").read_text())
    host_json["extensions"]["durableTask"] = durable
    (app / "host.json").write_text(json.dumps(host_json))
    return app


def start_order(host: Service, version: str | None = None) -> str:
    query = f"?version={version}" if version else ""
    code, _, body = call("GET", f"{host.url}/api/orchestrators/process_order{query}")
    assert code == 202, body
    instance_id: str = json.loads(body)["id"]
    return instance_id


def send_continue(host: Service, instance_id: str) -> None:
    url = f"{host.url}{WEBHOOKS}/instances/{instance_id}/raiseEvent/Continue?code={KEY}"
    assert call("POST", url, "go", {"Content-Type": "application/json"})[0] == 202


def waiting(host: Service, instance_id: str) -> None:
    eventually(
        lambda: status_of(host, instance_id).get("customStatus") == "Waiting for Continue event...",
        host,
        f"{instance_id} waiting for Continue",
    )


def test_instances_keep_their_version_across_a_redeployment(tmp_path: Path, azurite: Service):
    env = {"AzureWebJobsStorage": azurite.extra["connection_string"]}
    app = deploy(tmp_path, {"defaultVersion": "1.0"})
    host = start_devhost(tmp_path, app, env=env, function_key=KEY)
    try:
        old = start_order(host)
        waiting(host, old)
        pinned = start_order(host, "0.5")  # an explicit (older) version wins over defaultVersion
        waiting(host, pinned)
    finally:
        host.stop()
    deploy(tmp_path, {"defaultVersion": "2.0"})
    host = start_devhost(tmp_path, app, env=env, function_key=KEY)
    try:
        send_continue(host, old)
        assert wait_for_status(host, old)["output"] == [
            "Orchestration version: 1.0",
            "explicit: 0.9",
            "default: 2.0",
            "payment processed",
        ]
        send_continue(host, pinned)
        assert wait_for_status(host, pinned)["output"][0::3] == [
            "Orchestration version: 0.5",
            "discount applied",
        ]
        new = start_order(host)
        waiting(host, new)
        history = status_of(host, new, "&showHistory=true")["historyEvents"]
        assert history[0]["EventType"] == "ExecutionStarted" and history[0]["Version"] == "2.0"
    finally:
        host.stop()


def test_a_newer_instance_is_rejected_by_an_older_host_until_one_can_run_it(tmp_path: Path, azurite: Service):
    env = {"AzureWebJobsStorage": azurite.extra["connection_string"]}
    app = deploy(tmp_path, {"defaultVersion": "2.0", "versionMatchStrategy": "CurrentOrOlder"})
    host = start_devhost(tmp_path, app, env=env, function_key=KEY)
    try:
        too_new = start_order(host, "10.0")  # 10.0 > 2.0 as versions, though not as text
        older = start_order(host, "1.5")
        waiting(host, older)
        eventually(lambda: "is greater than the worker version '2.0'" in host.log(), host, "the rejection")
        assert status_of(host, too_new)["runtimeStatus"] == "Pending"
    finally:
        host.stop()
    deploy(tmp_path, {"defaultVersion": "10.0"})
    host = start_devhost(tmp_path, app, env=env, function_key=KEY)
    try:
        waiting(host, too_new)
        send_continue(host, too_new)
        assert wait_for_status(host, too_new)["output"][0] == "Orchestration version: 10.0"
    finally:
        host.stop()


def test_the_fail_strategy_fails_a_mismatched_instance(tmp_path: Path, azurite: Service):
    env = {"AzureWebJobsStorage": azurite.extra["connection_string"]}
    durable = {"defaultVersion": "2.0", "versionMatchStrategy": "Strict", "versionFailureStrategy": "Fail"}
    host = start_devhost(tmp_path, deploy(tmp_path, durable), env=env, function_key=KEY)
    try:
        failed = wait_for_status(host, start_order(host, "1.0"), "Failed")
        assert failed["output"] == "The orchestration version '1.0' does not match the worker version '2.0'."
        waiting(host, start_order(host, "2.0"))
    finally:
        host.stop()
