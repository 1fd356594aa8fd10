"""Loading an app as the Python worker does, and what the host does with functions it cannot run."""

from __future__ import annotations

import textwrap
import types
import uuid
from collections.abc import Iterator
from pathlib import Path

import azure.durable_functions as df
import azure.functions as func
import pytest

from local.host.indexing import AppLoadError, find_app, index, load_app
from local.host.launch import start_devhost
from local.processes import Service
from tests.host.support import KEY, call


def module(**values: object) -> types.ModuleType:
    namespace = types.ModuleType(f"app_{uuid.uuid4().hex}")
    namespace.__dict__.update(values)
    return namespace


def test_the_one_app_object_is_found_whatever_its_name():
    my_app = df.DFApp()
    assert find_app(module(myApp=my_app, bp=df.Blueprint(), func=func)) is my_app


@pytest.mark.parametrize(
    "values, message",
    [
        ({}, "Could not find top level function app instances in function_app.py."),
        (
            {"one": func.FunctionApp(), "two": df.DFApp()},
            "More than one FunctionApp or other top level function app instances are defined.",
        ),
    ],
)
def test_no_app_or_several_apps_is_the_workers_error(values: dict[str, object], message: str):
    with pytest.raises(AppLoadError) as error:
        find_app(module(**values))
    assert str(error.value) == message


def test_the_same_app_under_two_names_counts_twice_as_in_the_worker():
    shared = df.DFApp()
    with pytest.raises(AppLoadError, match="More than one DFApp"):
        find_app(module(app=shared, myApp=shared))


def test_the_script_name_comes_from_PYTHON_SCRIPT_FILE_NAME(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    script = f"functions_{uuid.uuid4().hex[:8]}.py"
    (tmp_path / script).write_text("import azure.functions as func\nservice = func.FunctionApp()\n")
    monkeypatch.setenv("PYTHON_SCRIPT_FILE_NAME", script)
    assert isinstance(load_app(tmp_path), func.FunctionApp)
    monkeypatch.setenv("PYTHON_SCRIPT_FILE_NAME", "absent.py")
    with pytest.raises(AppLoadError, match=r"absent\.py: the function app script does not exist"):
        load_app(tmp_path)


def test_functions_the_host_cannot_run_are_disabled_with_the_reason():
    app = func.FunctionApp()

    @app.queue_trigger(arg_name="message", queue_name="work", connection="AzureWebJobsStorage")
    def work(message: func.QueueMessage) -> None: ...

    @app.route(route="enqueue")
    @app.queue_output(arg_name="message", queue_name="work", connection="AzureWebJobsStorage")
    def enqueue(req: func.HttpRequest, message: func.Out[str]) -> func.HttpResponse:
        return func.HttpResponse()

    @app.route(route="save")
    @app.blob_output(arg_name="blob", path="c/b", connection="AzureWebJobsStorage")
    def save(req: func.HttpRequest, blob: str) -> func.HttpResponse:
        return func.HttpResponse()

    @app.route(route="ok")
    def ok(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse()

    indexed = index(app)
    assert indexed.disabled == {
        "work": "the dev host does not run queueTrigger functions",
        "enqueue": "the dev host does not support queue bindings ('message')",
        "save": 'binding blob is declared to have the "out" direction, but its annotation in Python '
        "is not a subclass of azure.functions.Out",
    }
    assert [function.name for function in indexed.http] == ["ok"]


UNRUNNABLE_APP = """
    import azure.durable_functions as df
    import azure.functions as func

    bundle = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)

    @bundle.queue_trigger(arg_name="message", queue_name="work", connection="AzureWebJobsStorage")
    def work(message: func.QueueMessage) -> None:
        pass

    @bundle.entity_trigger(context_name="context")
    def Tally(context):
        context.set_state((context.get_state(lambda: 0)) + 1)

    @bundle.route(route="size", methods=["POST"])
    def size(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse(str(len(req.get_body())))
"""


@pytest.fixture(scope="module")
def limited_host(tmp_path_factory: pytest.TempPathFactory, azurite: Service) -> Iterator[Service]:
    app = tmp_path_factory.mktemp("unrunnable-app")
    (app / "function_app.py").write_text(textwrap.dedent(UNRUNNABLE_APP))
    env = {
        "AzureWebJobsStorage": azurite.extra["connection_string"],
        "FUNCTIONS_REQUEST_BODY_SIZE_LIMIT": "3000000",
    }
    service = start_devhost(app, app, env=env, function_key=KEY)
    yield service
    service.stop()


def test_the_host_serves_what_it_can_and_reports_the_rest(limited_host: Service):
    assert call("POST", f"{limited_host.url}/api/size", raw=b"abc")[::2] == (200, "3")
    assert (
        "Function 'work' is disabled: the dev host does not run queueTrigger functions" in limited_host.log()
    )


def test_request_bodies_up_to_the_limit_reach_the_function(limited_host: Service):
    url = f"{limited_host.url}/api/size"
    logged = len(limited_host.log())
    assert call("POST", url, raw=b"x" * 2_000_000)[::2] == (200, "2000000")  # beyond aiohttp's 1 MB default
    assert call("POST", url, raw=b"x" * 3_000_000)[::2] == (200, "3000000")
    assert call("POST", url, raw=b"x" * 3_000_001)[::2] == (413, "")
    log = limited_host.log()[logged:]
    assert (log.count("Executed 'size'"), log.count("the request body exceeds 3000000 bytes")) == (2, 1)
