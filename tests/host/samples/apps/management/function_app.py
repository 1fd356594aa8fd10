"""Instance management (Durable Functions docs): every DurableOrchestrationClient operation behind HTTP.

A run waits for `Continue` events, so tests can suspend, resume, terminate, restart, rewind,
query and purge it through the SDK client as an app would.
"""

import json
from datetime import datetime

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.orchestration_trigger(context_name="context")
def waiter(context: df.DurableOrchestrationContext):
    rounds = context.get_input() or 1
    seen: list = []
    for _ in range(rounds):
        context.set_custom_status({"waiting": len(seen) + 1})
        seen.append((yield context.wait_for_external_event("Continue")))
    if "fail" in seen:
        yield context.call_activity("fail_once", context.instance_id)
    return seen


_failures: set[str] = set()


@app.activity_trigger(input_name="instance")
def fail_once(instance: str) -> str:
    if instance not in _failures:
        _failures.add(instance)
        raise RuntimeError("failing once")
    return "recovered"


@app.route(route="manage/{action}/{id?}", methods=["POST", "GET", "DELETE"])
@app.durable_client_input(client_name="client")
async def manage(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    action, instance_id = req.route_params["action"], req.route_params.get("id")
    body = req.get_json() if req.get_body() else {}
    result: object = None
    if action == "start":
        result = await client.start_new("waiter", instance_id, body.get("rounds"))
    elif action == "payload":
        result = client.create_http_management_payload(instance_id)
    elif action == "status":
        status = await client.get_status(instance_id, show_history=True, show_input=True)
        result = status.to_json() if status else None
    elif action in ("suspend", "resume", "terminate", "rewind"):
        await getattr(client, action)(instance_id, body.get("reason", "test"))
    elif action == "raise":
        await client.raise_event(instance_id, "Continue", body.get("value"))
    elif action == "restart":
        result = await client.restart(instance_id, restart_with_new_instance_id=body.get("new_id", True))
    elif action == "purge":
        result = (await client.purge_instance_history(instance_id)).instances_deleted
    elif action == "purge_by":
        statuses = [df.OrchestrationRuntimeStatus(s) for s in body.get("statuses", [])]
        created_from = datetime.fromisoformat(body["from"])
        result = (await client.purge_instance_history_by(created_from, None, statuses)).instances_deleted
    elif action == "query":
        statuses = [df.OrchestrationRuntimeStatus(s) for s in body.get("statuses", [])]
        since = datetime.fromisoformat(body["from"]) if body.get("from") else None
        found = await client.get_status_by(since, None, statuses or None, body.get("prefix"))
        result = sorted(status.instance_id for status in found)
    return func.HttpResponse(json.dumps(result, default=str), mimetype="application/json")
