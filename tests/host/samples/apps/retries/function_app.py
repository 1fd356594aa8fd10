"""Automatic retries (Durable Functions docs: error handling): activities retried with a RetryOptions policy.

`unreliable` fails its first `failures` attempts for a key; `publish` fails until a marker file
exists, so an operator can fix the cause and rewind the failed orchestration.
"""

from pathlib import Path

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)

_attempts: dict[str, int] = {}


@app.route(route="orchestrators/{functionName}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def http_start(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    instance_id = await client.start_new(req.route_params["functionName"], client_input=req.get_json())
    return client.create_check_status_response(req, instance_id)


@app.orchestration_trigger(context_name="context")
def with_retries(context: df.DurableOrchestrationContext):
    request = context.get_input()
    policy = df.RetryOptions(first_retry_interval_in_milliseconds=200, max_number_of_attempts=3)
    recovered = yield context.call_activity_with_retry("unreliable", policy, request["recovers"])
    try:
        yield context.call_activity_with_retry("unreliable", policy, request["never_recovers"])
    except Exception as error:
        return {"recovered": recovered, "gave_up": "still failing" in str(error)}
    return {"recovered": recovered, "gave_up": False}


@app.orchestration_trigger(context_name="context")
def publish_report(context: df.DurableOrchestrationContext):
    draft = yield context.call_activity("write_draft", context.get_input()["title"])
    return (yield context.call_activity("publish", {"draft": draft, "marker": context.get_input()["marker"]}))


@app.activity_trigger(input_name="spec")
def unreliable(spec: dict) -> str:
    _attempts[spec["key"]] = _attempts.get(spec["key"], 0) + 1
    if _attempts[spec["key"]] <= spec["failures"]:
        raise ConnectionError(f"{spec['key']} still failing (attempt {_attempts[spec['key']]})")
    return f"{spec['key']} ok after {_attempts[spec['key']]} attempts"


@app.activity_trigger(input_name="title")
def write_draft(title: str) -> str:
    return f"draft of {title}"


@app.activity_trigger(input_name="job")
def publish(job: dict) -> str:
    if not Path(job["marker"]).exists():
        raise RuntimeError("the publishing service is down")
    return f"published {job['draft']}"
