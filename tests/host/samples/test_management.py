"""The Durable HTTP management API, as Microsoft's "HTTP API reference" and the SDK client describe it.

Two callers: raw HTTP on the webhook URLs (what `create_check_status_response` hands out), and
the SDK's `DurableOrchestrationClient` inside an app function (the `management` sample), so each
answer is checked both against the documentation and against the client code that parses it.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import pytest

from local.processes import Service
from tests.host.samples.conftest import StartHost
from tests.host.support import KEY, WEBHOOKS, call, eventually, status_of, wait_for_status

API_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


@pytest.fixture(scope="module")
def host(sample_host: StartHost) -> Service:
    return sample_host("management")


def manage(host: Service, action: str, instance_id: str = "", body: dict[str, Any] | None = None) -> Any:
    """Run one DurableOrchestrationClient operation through the app; its JSON result."""
    code, _, text = call("POST", f"{host.url}/api/manage/{action}/{instance_id}".rstrip("/"), body or {})
    assert code == 200, f"{action}: {code} {text}\n{host.log()[-3000:]}"
    return json.loads(text)


def started(host: Service, rounds: int = 1) -> str:
    instance_id = f"m-{uuid.uuid4().hex[:10]}"
    assert manage(host, "start", instance_id, {"rounds": rounds}) == instance_id
    eventually(lambda: status_of(host, instance_id).get("customStatus"), host, f"{instance_id} waiting")
    return instance_id


def api(host: Service, path: str, query: str = "") -> str:
    return f"{host.url}{WEBHOOKS}/{path}?code={KEY}{query}"


def test_the_management_payload_has_all_eight_urls_and_each_one_works(host: Service):
    instance_id = started(host, rounds=2)
    payload = manage(host, "payload", instance_id)
    assert sorted(payload) == sorted(
        [
            "id",
            "statusQueryGetUri",
            "sendEventPostUri",
            "terminatePostUri",
            "rewindPostUri",
            "purgeHistoryDeleteUri",
            "restartPostUri",
            "suspendPostUri",
            "resumePostUri",
        ]
    )
    assert payload["id"] == instance_id
    assert all(instance_id in url for name, url in payload.items() if name != "id")
    json_body = {"Content-Type": "application/json"}
    assert call("POST", payload["suspendPostUri"].replace("{text}", "pause"))[::2] == (202, "")
    eventually(lambda: status_of(host, instance_id)["runtimeStatus"] == "Suspended", host, "suspended")
    assert (
        call("POST", payload["sendEventPostUri"].replace("{eventName}", "Continue"), "one", json_body)[0]
        == 202
    )
    assert call("POST", payload["resumePostUri"].replace("{text}", "go-on"))[::2] == (202, "")
    eventually(lambda: status_of(host, instance_id)["customStatus"] == {"waiting": 2}, host, "the held event")
    assert call("POST", payload["terminatePostUri"].replace("{text}", "stop"))[0] == 202
    assert wait_for_status(host, instance_id, "Terminated")["output"] == "stop"
    code, headers, text = call("POST", payload["restartPostUri"])
    restarted = json.loads(text)
    assert (code, headers["Location"]) == (202, restarted["statusQueryGetUri"])
    assert restarted["id"] != instance_id and status_of(host, restarted["id"])["input"] == 2
    assert call("DELETE", payload["purgeHistoryDeleteUri"])[::2] == (200, '{"instancesDeleted": 1}')
    assert call("GET", payload["statusQueryGetUri"])[::2] == (404, "")
    assert call("POST", payload["rewindPostUri"].replace("{text}", "again"))[::2] == (404, "")


def test_status_answers_as_documented(host: Service):
    instance_id = started(host)
    code, headers, text = call("GET", api(host, f"instances/{instance_id}"))
    running = json.loads(text)
    assert (code, headers["Location"], headers["Retry-After"]) == (
        202,
        api(host, f"instances/{instance_id}"),
        "5",
    )
    assert API_TIME.fullmatch(running["createdTime"]) and API_TIME.fullmatch(running["lastUpdatedTime"])
    assert (running["name"], running["input"], running["output"]) == ("waiter", 1, None)
    assert "historyEvents" not in running
    assert (
        json.loads(call("GET", api(host, f"instances/{instance_id}", "&showInput=false"))[2])["input"] is None
    )
    manage(host, "raise", instance_id, {"value": "done"})
    wait_for_status(host, instance_id)
    code, headers, text = call("GET", api(host, f"instances/{instance_id}", "&showHistory=true"))
    assert (code, "Location" in headers) == (200, False)
    events = [event["EventType"] for event in json.loads(text)["historyEvents"]]
    assert events == ["ExecutionStarted", "EventRaised", "ExecutionCompleted"]
    assert call("GET", api(host, "instances/nobody-has-this-id"))[::2] == (404, "")
    assert call("GET", api(host, "no/such/route"))[::2] == (404, "")
    assert call("PUT", api(host, f"instances/{instance_id}"))[::2] == (404, "")


def test_raise_event_requires_json_and_a_running_instance(host: Service):
    instance_id = started(host)
    url = api(host, f"instances/{instance_id}/raiseEvent/Continue")
    code, _, text = call("POST", url, raw=b"hello", headers={"Content-Type": "text/plain"})
    assert (code, json.loads(text)) == (
        400,
        {"Message": "Only application/json request content is supported"},
    )
    code, _, text = call("POST", url, raw=b"{not json", headers={"Content-Type": "application/json"})
    assert (code, json.loads(text)["Message"]) == (400, "Invalid JSON content")
    assert status_of(host, instance_id)["runtimeStatus"] == "Running"
    assert call("POST", url, {"ok": 1}, {"Content-Type": "application/json; charset=utf-8"})[0] == 202
    assert wait_for_status(host, instance_id)["output"] == [{"ok": 1}]
    assert call("POST", url, "late", {"Content-Type": "application/json"})[::2] == (410, "")
    missing = api(host, "instances/missing/raiseEvent/Continue")
    assert call("POST", missing, "x", {"Content-Type": "application/json"})[::2] == (404, "")


def test_queries_filter_by_prefix_status_and_created_time(host: Service):
    prefix = f"q-{uuid.uuid4().hex[:6]}-"
    first, second = (f"{prefix}{n}" for n in (1, 2))
    for instance_id in (first, second):
        manage(host, "start", instance_id, {"rounds": 1})
    manage(host, "raise", second, {"value": "x"})
    wait_for_status(host, second)
    listed = json.loads(call("GET", api(host, "instances", f"&instanceIdPrefix={prefix}"))[2])
    assert sorted(item["instanceId"] for item in listed) == [first, second]
    assert all(item["input"] == 1 for item in listed)  # showInput defaults to true for queries too
    assert manage(host, "query", body={"prefix": prefix, "statuses": ["Completed"]}) == [second]
    paged = call("GET", api(host, "instances", f"&instanceIdPrefix={prefix}&top=1"))
    assert len(json.loads(paged[2])) == 1 and paged[1]["x-ms-continuation-token"]

    created = datetime.strptime(status_of(host, first)["createdTime"], "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=UTC
    )
    # bounds with UTC offsets: as instants they exclude/include the instance, as text they would not
    before = (created - timedelta(seconds=1)).astimezone(timezone(timedelta(hours=5))).isoformat()
    after = (created + timedelta(seconds=2)).astimezone(timezone(timedelta(hours=-5))).isoformat()
    for bound, expected in ((before, []), (after, [first])):
        found = call(
            "GET", api(host, "instances", f"&instanceIdPrefix={prefix}1&createdTimeTo={quote(bound)}")
        )
        assert [item["instanceId"] for item in json.loads(found[2])] == expected, bound
    date_only = call("GET", api(host, "instances", f"&instanceIdPrefix={prefix}&createdTimeFrom=2020-01-01"))
    assert len(json.loads(date_only[2])) == 2


def test_bulk_purge_requires_created_time_from(host: Service):
    instance_id = started(host)
    manage(host, "raise", instance_id, {"value": "x"})
    wait_for_status(host, instance_id)
    code, _, text = call("DELETE", api(host, "instances", "&runtimeStatus=Completed"))
    assert (code, json.loads(text)) == (400, "Please provide value for 'createdTimeFrom' parameter.")
    assert status_of(host, instance_id)["runtimeStatus"] == "Completed"
    future = quote((datetime.now(UTC) + timedelta(days=1)).isoformat())
    assert call("DELETE", api(host, "instances", f"&createdTimeFrom={future}"))[::2] == (404, "")
    since = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    assert manage(host, "purge_by", body={"from": since, "statuses": ["Completed"]}) >= 1
    assert status_of(host, instance_id) == {}
    assert manage(host, "purge", instance_id) == 0  # the SDK reads the 404 as nothing deleted


def test_sdk_client_suspend_resume_terminate_restart_rewind(host: Service):
    instance_id = started(host, rounds=2)
    manage(host, "suspend", instance_id)
    eventually(lambda: status_of(host, instance_id)["runtimeStatus"] == "Suspended", host, "suspended")
    manage(host, "raise", instance_id, {"value": "while suspended"})
    assert status_of(host, instance_id)["customStatus"] == {"waiting": 1}  # held until resumed
    manage(host, "resume", instance_id)
    eventually(lambda: status_of(host, instance_id)["customStatus"] == {"waiting": 2}, host, "resumed")
    manage(host, "raise", instance_id, {"value": "fail"})
    assert "failing once" in wait_for_status(host, instance_id, "Failed")["output"]
    manage(host, "rewind", instance_id)
    assert wait_for_status(host, instance_id)["output"] == ["while suspended", "fail"]
    assert manage(host, "status", instance_id)["runtimeStatus"] == "Completed"
    history = status_of(host, instance_id, "&showHistory=true")["historyEvents"]
    kinds = {event["EventType"] for event in history}
    assert {"ExecutionSuspended", "ExecutionResumed", "GenericEvent"} <= kinds

    again = manage(host, "restart", instance_id, {"new_id": False})
    assert again["id"] == instance_id
    eventually(lambda: status_of(host, instance_id)["runtimeStatus"] == "Running", host, "restarted")
    fresh = manage(host, "restart", instance_id, {"new_id": True})
    assert fresh["id"] != instance_id and status_of(host, fresh["id"])["input"] == 2
    manage(host, "terminate", instance_id)
    wait_for_status(host, instance_id, "Terminated")
    manage(host, "terminate", instance_id)  # 410 for an ended instance: the SDK does not raise


def test_refusals_carry_the_documented_status_and_body(host: Service):
    code, _, text = call("POST", api(host, "orchestrators/no_such_orchestrator"), {})
    assert code == 400
    assert (
        "doesn't exist, is disabled, or is not an orchestrator function"
        in json.loads(text)["ExceptionMessage"]
    )
    running = started(host)
    code, _, text = call("POST", api(host, f"orchestrators/waiter/{running}"), 1)
    assert code == 500 and "already exists" in json.loads(text)["ExceptionMessage"]
    code, _, text = call("POST", api(host, f"instances/{running}/resume"))
    assert code == 500 and "Running state" in json.loads(text)["ExceptionMessage"]
    code, _, text = call("POST", api(host, f"instances/{running}/rewind"))
    assert code == 500 and "only supported on failed" in json.loads(text)["ExceptionMessage"]
    code, _, text = call("POST", api(host, "instances/never-started/restart"))
    assert (code, json.loads(text)["Message"]) == (
        400,
        "InstanceId does not match a valid orchestration instance.",
    )
    assert call("POST", api(host, "instances/never-started/terminate"))[::2] == (404, "")
    assert call("POST", f"{host.url}{WEBHOOKS}/instances/{running}/terminate?code=wrong")[0] == 401
