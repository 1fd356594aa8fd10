"""The dev host's parts without a process: settings, routes, blob paths, the client binding, restart."""

from __future__ import annotations

import json
from pathlib import Path

import azure.durable_functions as df
import azure.functions as func
import pytest

from local.host.blobs import BlobPath
from local.host.durable.api import DurableApi, input_json
from local.host.durable.engine import Engine
from local.host.durable.store import Store, WorkItem
from local.host.durable.testing import DEFAULT_START, VirtualClock
from local.host.durable.versions import compare_versions
from local.host.http import route_paths
from local.host.indexing import index
from local.host.settings import (
    BodyLimitError,
    HostJsonError,
    HostSettings,
    load_local_settings,
    request_body_limit,
    resolve,
)
from tests.host.sample_app.function_app import app

SAMPLE_APP = Path(__file__).parent / "sample_app"


def test_local_settings_fill_the_environment_without_overriding_it(tmp_path, monkeypatch):
    (tmp_path / "local.settings.json").write_text(json.dumps({"Values": {"DH_A": "file", "DH_B": "file"}}))
    monkeypatch.setenv("DH_A", "env")
    monkeypatch.delenv("DH_B", raising=False)
    load_local_settings(tmp_path)
    assert resolve("%DH_A%/%DH_B%/x") == "env/file/x"
    monkeypatch.delenv("DH_B")
    with pytest.raises(KeyError, match="DH_B"):
        resolve("%DH_B%")


def test_host_json_settings(monkeypatch):
    monkeypatch.setenv("SAMPLE_TASK_HUB", "Hub1")
    assert HostSettings.load(SAMPLE_APP) == HostSettings(hub_name="Hub1", max_concurrent_activities=2)


def test_the_app_is_indexed_from_its_own_metadata():
    indexed = index(app)
    assert {
        (f.name, f.route, tuple(f.methods or ()), f.auth_level, f.client_param) for f in indexed.http
    } >= {
        ("hello", "hello/{name}", ("GET",), "anonymous", None),
        ("echo", "echo/{item}", ("POST", "PUT"), "function", None),
        ("start", "start/{name}/{id}", ("POST",), "function", "client"),
    }
    [blob] = indexed.blobs
    assert (blob.path, blob.connection, blob.param, blob.client_param) == (
        "%SAMPLE_CONTAINER%/incoming/{run}/{name}",
        "AzureWebJobsStorage",
        "blob",
        "client",
    )
    assert {"sequence", "parent", "counter"} <= set(indexed.orchestrators)
    assert indexed.activities["add"].run('{"a": 1, "b": 2}') == "3"


def test_route_templates():
    assert route_paths("runs/{id}/cancel") == ["/api/runs/{id}/cancel"]
    assert route_paths("runs/{id:int}") == ["/api/runs/{id}"]
    assert route_paths("runs/{id?}") == ["/api/runs", "/api/runs/{id}"]
    assert route_paths("files/{*rest}") == ["/api/files/{rest:.*}"]


def test_blob_paths(monkeypatch):
    monkeypatch.setenv("DH_CONTAINER", "fine-tuning")
    path = BlobPath.parse("%DH_CONTAINER%/incoming/{run}/{name}")
    assert (path.container, path.prefix) == ("fine-tuning", "incoming/")
    match = path.pattern.fullmatch("incoming/r1/training.jsonl")
    assert match is not None
    assert match.groupdict() == {
        "run": "r1",
        "name": "training.jsonl",
    }
    assert path.pattern.fullmatch("incoming/r1/deeper/x") is None


def test_inputs_from_the_sdk_and_from_other_callers_mean_the_same():
    assert input_json(json.dumps(json.dumps({"a": 1}))) == json.dumps({"a": 1})
    assert input_json(json.dumps({"a": 1})) == json.dumps({"a": 1})
    assert input_json(json.dumps("plain text")) == json.dumps("plain text")
    assert input_json("") is None


def test_the_client_binding_drives_the_sdk_client():
    api = DurableApi(
        Engine(Store(), {}, VirtualClock(DEFAULT_START), print), "k1", "Hub", "http://127.0.0.1:7071"
    )
    client = df.DurableOrchestrationClient(api.client_json())
    request = func.HttpRequest("POST", "http://example.test:8080/api/runs", body=b"")
    response = client.create_check_status_response(request, "run-1")
    urls = json.loads(response.get_body())
    assert urls["statusQueryGetUri"] == (
        "http://example.test:8080/runtime/webhooks/durabletask/instances/run-1"
        "?taskHub=Hub&connection=Storage&code=k1"
    )
    assert client._orchestration_bindings.rpc_base_url == "http://127.0.0.1:7071/durabletask/"


def test_unfinished_activity_work_survives_a_restart(tmp_path):
    """An activity dispatched but not completed when the process died is dispatched again."""
    orchestrators = index(app).orchestrators
    dispatched: list[WorkItem] = []
    first = Engine(
        Store(tmp_path / "state.sqlite"), orchestrators, VirtualClock(DEFAULT_START), dispatched.append
    )
    first.start("sequence", "i1", "0")
    assert first.run_once() and [work.name for work in dispatched] == ["add"]
    restarted = Engine(Store(tmp_path / "state.sqlite"), orchestrators, VirtualClock(DEFAULT_START), print)
    [again] = restarted.pending_work()
    assert (again.instance_id, again.task_id, again.input) == ("i1", 0, json.dumps({"a": 0, "b": 1}))
    restarted.complete_activity(again, "1")
    restarted.complete_activity(again, "1")  # a duplicate completion is ignored
    assert restarted.run_once() and not restarted.run_once()
    assert [work.task_id for work in restarted.pending_work()] == [1]


def test_host_json_is_checked_as_the_functions_host_checks_it(tmp_path):
    (tmp_path / "host.json").write_text('{"version": "2.0"}{"version": "2.0"}')
    with pytest.raises(HostJsonError, match=r"host\.json: line 1 column 19: Extra data"):
        HostSettings.load(tmp_path)
    (tmp_path / "host.json").write_text('{"extensions": {}}')
    with pytest.raises(HostJsonError, match=r"the 'version' property must be \"2\.0\""):
        HostSettings.load(tmp_path)
    durable = {"defaultVersion": "1.2", "versionMatchStrategy": "strict", "versionFailureStrategy": "Fail"}
    (tmp_path / "host.json").write_text(
        json.dumps({"version": "2.0", "extensions": {"durableTask": durable}})
    )
    settings = HostSettings.load(tmp_path)
    assert (settings.default_version, settings.version_match_strategy, settings.version_failure_strategy) == (
        "1.2",
        "Strict",
        "Fail",
    )
    durable["versionMatchStrategy"] = "Newest"
    (tmp_path / "host.json").write_text(
        json.dumps({"version": "2.0", "extensions": {"durableTask": durable}})
    )
    with pytest.raises(
        ValueError, match="versionMatchStrategy='Newest': expected one of None, Strict, CurrentOrOlder"
    ):
        HostSettings.load(tmp_path)


@pytest.mark.parametrize(
    "first, second, expected",
    [
        ("1.0", "1.0", 0),
        (None, "", 0),
        ("", "0.1", -1),
        ("1.10", "1.9", 1),  # numeric parts, not text
        ("1.0", "1.0.0", -1),  # a missing part sorts before zero, as System.Version does
        ("2", "10", 1),  # one part is not a System.Version: case-insensitive text
        ("v1-Beta", "V1-beta", 0),
    ],
)
def test_versions_compare_like_durable_task(first, second, expected):
    assert compare_versions(first, second) == expected
    assert compare_versions(second, first) == -expected


def test_the_request_body_limit_setting(monkeypatch):
    monkeypatch.delenv("FUNCTIONS_REQUEST_BODY_SIZE_LIMIT", raising=False)
    assert request_body_limit() == 100 * 1024 * 1024
    monkeypatch.setenv("FUNCTIONS_REQUEST_BODY_SIZE_LIMIT", "2048")
    assert request_body_limit() == 2048
    monkeypatch.setenv("FUNCTIONS_REQUEST_BODY_SIZE_LIMIT", "-1")
    with pytest.raises(BodyLimitError, match="FUNCTIONS_REQUEST_BODY_SIZE_LIMIT='-1'"):
        request_body_limit()
