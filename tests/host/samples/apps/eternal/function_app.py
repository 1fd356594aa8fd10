"""Eternal orchestration (Durable Functions docs): periodic work that restarts itself with continue_as_new."""

from datetime import timedelta

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="cleanup/{id}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def start_cleanup(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    instance_id = await client.start_new("periodic_cleanup", req.route_params["id"], {"round": 1})
    return client.create_check_status_response(req, instance_id)


@app.orchestration_trigger(context_name="context")
def periodic_cleanup(context: df.DurableOrchestrationContext):
    state = context.get_input()
    removed = yield context.call_activity("do_cleanup", state["round"])
    context.set_custom_status({"round": state["round"], "removed": removed})
    yield context.create_timer(context.current_utc_datetime + timedelta(seconds=0.2))
    context.continue_as_new({"round": state["round"] + 1})


@app.activity_trigger(input_name="round")
def do_cleanup(round: int) -> int:
    return round * 2
