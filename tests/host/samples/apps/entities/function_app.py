"""Durable entities (Durable Functions docs): a counter signalled by clients and called by orchestrations."""

import json

import azure.durable_functions as df
import azure.functions as func

myApp = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@myApp.entity_trigger(context_name="context")
def Counter(context: df.DurableEntityContext):
    current_value = context.get_state(lambda: 0)
    operation = context.operation_name
    if operation == "add":
        current_value += context.get_input()
    elif operation == "reset":
        current_value = 0
    elif operation == "fail":
        raise ValueError("the counter refuses")
    elif operation == "delete":
        context.destruct_on_exit()
        return
    context.set_state(current_value)
    context.set_result(current_value)


@myApp.route(route="counters/{key}/{operation}", methods=["POST"])
@myApp.durable_client_input(client_name="client")
async def signal_counter(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    entity = df.EntityId("Counter", req.route_params["key"])
    await client.signal_entity(
        entity, req.route_params["operation"], req.get_json() if req.get_body() else None
    )
    return func.HttpResponse(status_code=202)


@myApp.route(route="counters/{key}", methods=["GET"])
@myApp.durable_client_input(client_name="client")
async def read_counter(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    state = await client.read_entity_state(df.EntityId("Counter", req.route_params["key"]))
    if not state.entity_exists:
        return func.HttpResponse(status_code=404)
    return func.HttpResponse(json.dumps(state.entity_state), mimetype="application/json")


@myApp.route(route="orchestrators/{functionName}", methods=["POST"])
@myApp.durable_client_input(client_name="client")
async def http_start(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    instance_id = await client.start_new(req.route_params["functionName"], client_input=req.get_json())
    return client.create_check_status_response(req, instance_id)


@myApp.orchestration_trigger(context_name="context")
def count_visits(context: df.DurableOrchestrationContext):
    """Signals the counter, calls it, and reports what the entity answered."""
    counter = df.EntityId("Counter", context.get_input())
    context.signal_entity(counter, "add", 10)
    after_add = yield context.call_entity(counter, "add", 5)
    try:
        yield context.call_entity(counter, "fail")
    except Exception as error:
        refused = str(error)
    return {"after_add": after_add, "refused": refused}
