"""Async HTTP APIs (Durable Functions docs): start a long operation, poll its status URL.

`start_and_wait` answers with the output when the orchestration ends within the timeout, and
with the 202 check-status response otherwise.
"""

from datetime import timedelta

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="start/{functionName}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def start(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    instance_id = await client.start_new(req.route_params["functionName"], client_input=req.get_json())
    return client.create_check_status_response(req, instance_id)


@app.route(route="start_and_wait/{functionName}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def start_and_wait(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    instance_id = await client.start_new(req.route_params["functionName"], client_input=req.get_json())
    return await client.wait_for_completion_or_create_check_status_response(
        req, instance_id, timeout_in_milliseconds=5000, retry_interval_in_milliseconds=200
    )


@app.orchestration_trigger(context_name="context")
def long_operation(context: df.DurableOrchestrationContext):
    """Works for `seconds` (a durable timer) and reports progress in its custom status."""
    seconds = context.get_input()["seconds"]
    context.set_custom_status({"progress": "started"})
    yield context.create_timer(context.current_utc_datetime + timedelta(seconds=seconds))
    context.set_custom_status({"progress": "done"})
    return {"waited": seconds}
