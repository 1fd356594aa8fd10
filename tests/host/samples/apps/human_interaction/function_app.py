"""Human interaction (Durable Functions docs): wait for an approval event or escalate after a deadline."""

from datetime import timedelta

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="approvals", methods=["POST"])
@app.durable_client_input(client_name="client")
async def request_approval(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    instance_id = await client.start_new("approval_workflow", client_input=req.get_json())
    return client.create_check_status_response(req, instance_id)


@app.route(route="approvals/{id}/answer", methods=["POST"])
@app.durable_client_input(client_name="client")
async def answer(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    await client.raise_event(req.route_params["id"], "ApprovalEvent", req.get_json())
    return func.HttpResponse(status_code=202)


@app.orchestration_trigger(context_name="context")
def approval_workflow(context: df.DurableOrchestrationContext):
    request = context.get_input()
    yield context.call_activity("send_approval_request", request["item"])
    deadline = context.current_utc_datetime + timedelta(seconds=request["timeout_seconds"])
    timeout = context.create_timer(deadline)
    approval = context.wait_for_external_event("ApprovalEvent")
    context.set_custom_status("Waiting for approval")
    winner = yield context.task_any([approval, timeout])
    if winner == approval:
        timeout.cancel()
        context.set_custom_status("Answered")
        return {"item": request["item"], "approved": approval.result["approved"]}
    context.set_custom_status("Escalated")
    return (yield context.call_activity("escalate", request["item"]))


@app.activity_trigger(input_name="item")
def send_approval_request(item: str) -> str:
    return f"approval requested for {item}"


@app.activity_trigger(input_name="item")
def escalate(item: str) -> dict:
    return {"item": item, "escalated": True}
