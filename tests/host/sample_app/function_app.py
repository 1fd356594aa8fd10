"""A small Functions app that exercises every dev-host feature the real app uses.

Tests run it in-process through the harness and as a real `python -m local.host` process.
"""

import json
import os
from datetime import timedelta
from pathlib import Path

import azure.durable_functions as df
import azure.functions as func

bp = df.Blueprint()


# HTTP


@bp.route(route="hello/{name}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def hello(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(f"hello {req.route_params['name']} {req.params.get('greeting', '')}".strip())


@bp.route(route="echo/{item}", methods=["POST", "PUT"])
def echo(req: func.HttpRequest) -> func.HttpResponse:
    body = {
        "method": req.method,
        "item": req.route_params["item"],
        "body": req.get_json(),
        "header": req.headers.get("x-test"),
        "url": req.url,
    }
    return func.HttpResponse(
        json.dumps(body), status_code=201, mimetype="application/json", headers={"x-echo": "yes"}
    )


@bp.route(route="admin/ping", auth_level=func.AuthLevel.ADMIN)
def admin_ping(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("pong")


@bp.route(route="start/{name}/{id}", methods=["POST"])
@bp.durable_client_input(client_name="client")
async def start(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    try:
        instance_id = await client.start_new(
            req.route_params["name"], req.route_params["id"], req.get_json() if req.get_body() else None
        )
    except Exception as exc:  # an instance with this id is still running
        return func.HttpResponse(str(exc), status_code=409)
    return client.create_check_status_response(req, instance_id)


@bp.route(route="status/{id}", methods=["GET"])
@bp.durable_client_input(client_name="client")
async def status(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    state = await client.get_status(req.route_params["id"], show_history=True)
    body = {
        "runtimeStatus": state.runtime_status.value if state.runtime_status else None,
        "output": state.output,
        "customStatus": state.custom_status,
    }
    return func.HttpResponse(json.dumps(body), mimetype="application/json")


# blob trigger


@bp.blob_trigger(
    arg_name="blob", path="%SAMPLE_CONTAINER%/incoming/{run}/{name}", connection="AzureWebJobsStorage"
)
@bp.durable_client_input(client_name="client")
async def on_blob(blob: func.InputStream, client: df.DurableOrchestrationClient) -> None:
    """Appends one line per invocation to SAMPLE_BLOB_LOG and starts `record_once` for the run."""
    run = (blob.name or "").split("/")[-2]
    with open(os.environ["SAMPLE_BLOB_LOG"], "a") as log:
        log.write(
            json.dumps(
                {"name": blob.name, "length": blob.length, "data": blob.read().decode(), "uri": blob.uri}
            )
            + "\n"
        )
    await client.start_new(
        "record_once", f"blob-{run}", {"path": os.environ["SAMPLE_BLOB_LOG"] + ".orch", "label": run}
    )


# orchestrators


@bp.orchestration_trigger(context_name="context")
def sequence(context: df.DurableOrchestrationContext):
    total = context.get_input() or 0
    results = []
    for step in range(3):
        context.set_custom_status({"stage": f"step-{step}"})
        total = yield context.call_activity("add", {"a": total, "b": step + 1})
        results.append(total)
    context.set_custom_status({"stage": "done"})
    return results


@bp.orchestration_trigger(context_name="context")
def retrying(context: df.DurableOrchestrationContext):
    options = df.RetryOptions(first_retry_interval_in_milliseconds=5000, max_number_of_attempts=3)
    first, second = yield context.task_all(
        [
            context.call_activity_with_retry("flaky", options, {"label": "a"}),
            context.call_activity_with_retry("flaky", options, {"label": "b"}),
        ]
    )
    return [first, second, context.current_utc_datetime.isoformat()]


@bp.orchestration_trigger(context_name="context")
def fan_out(context: df.DurableOrchestrationContext):
    count = context.get_input()
    values = yield context.task_all([context.call_activity("add", {"a": i, "b": i}) for i in range(count)])
    return sum(values)


@bp.orchestration_trigger(context_name="context")
def approval(context: df.DurableOrchestrationContext):
    """Waits for `approve` or one hour, whichever comes first."""
    context.set_custom_status({"stage": "waiting"})
    deadline = context.current_utc_datetime + timedelta(hours=1)
    timer = context.create_timer(deadline)
    answer = context.wait_for_external_event("approve")
    winner = yield context.task_any([answer, timer])
    if winner == answer:
        timer.cancel()
        context.set_custom_status({"stage": "approved"})
        return {"approved": answer.result, "at": context.current_utc_datetime.isoformat()}
    context.set_custom_status({"stage": "timed-out"})
    return {"approved": None, "at": context.current_utc_datetime.isoformat()}


@bp.orchestration_trigger(context_name="context")
def early_event(context: df.DurableOrchestrationContext):
    """The event may arrive while the activity runs, before the orchestrator waits for it."""
    first = yield context.call_activity("add", {"a": 1, "b": 1})
    go = yield context.wait_for_external_event("go")
    return [first, go]


@bp.orchestration_trigger(context_name="context")
def parent(context: df.DurableOrchestrationContext):
    child = yield context.call_sub_orchestrator("sequence", 10, f"{context.instance_id}-child")
    try:
        yield context.call_sub_orchestrator("failing", None)
    except Exception as exc:
        return {"child": child, "error": str(exc).splitlines()[0]}
    return {"child": child}


@bp.orchestration_trigger(context_name="context")
def failing(context: df.DurableOrchestrationContext):
    yield context.call_activity("add", {"a": 0, "b": 0})
    raise ValueError("failing on purpose")


@bp.orchestration_trigger(context_name="context")
def guarded_parent(context: df.DurableOrchestrationContext):
    """Fails when its child does (no try/except): what a rewind starts again."""
    return (
        yield context.call_sub_orchestrator("guarded_child", context.get_input(), f"{context.instance_id}-c")
    )


@bp.orchestration_trigger(context_name="context")
def guarded_child(context: df.DurableOrchestrationContext):
    first = yield context.call_activity("add", {"a": 1, "b": 1})
    return [first, (yield context.call_activity("flaky", {"label": context.get_input()}))]


@bp.orchestration_trigger(context_name="context")
def counter(context: df.DurableOrchestrationContext):
    value = context.get_input()
    if value >= 3:
        return value
    yield context.call_activity("add", {"a": value, "b": 0})
    yield context.create_timer(context.current_utc_datetime + timedelta(minutes=1))
    context.continue_as_new(value + 1)


@bp.orchestration_trigger(context_name="context")
def sleepy(context: df.DurableOrchestrationContext):
    """record, sleep `seconds` on a durable timer, record: for the kill-and-restart test."""
    settings = context.get_input()
    yield context.call_activity("record", {"path": settings["path"], "label": "before"})
    yield context.create_timer(context.current_utc_datetime + timedelta(seconds=settings["seconds"]))
    yield context.call_activity("record", {"path": settings["path"], "label": "after"})
    return "slept"


@bp.orchestration_trigger(context_name="context")
def record_once(context: df.DurableOrchestrationContext):
    yield context.call_activity("record", context.get_input())
    return "recorded"


# activities


@bp.activity_trigger(input_name="payload")
def add(payload: dict) -> int:
    return payload["a"] + payload["b"]


@bp.activity_trigger(input_name="payload")
def flaky(payload: dict) -> str:
    raise RuntimeError(f"flaky {payload['label']} is always down in the app; tests script it")


@bp.activity_trigger(input_name="payload")
def record(payload: dict) -> str:
    """Appends the label to a file, so tests can count executions across host restarts."""
    with Path(payload["path"]).open("a") as log:
        log.write(payload["label"] + "\n")
    return payload["label"]


app = df.DFApp(http_auth_level=func.AuthLevel.FUNCTION)
app.register_functions(bp)
