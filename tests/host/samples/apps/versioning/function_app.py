"""Orchestration versioning (Durable Functions docs): branch on `context.version`, set by defaultVersion."""

import azure.durable_functions as df
import azure.functions as func

myApp = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@myApp.route(route="orchestrators/{functionName}")
@myApp.durable_client_input(client_name="client")
async def http_start(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    version = req.params.get("version")
    instance_id = await client.start_new(req.route_params["functionName"], version=version)
    return client.create_check_status_response(req, instance_id)


@myApp.orchestration_trigger(context_name="context")
def process_order(context: df.DurableOrchestrationContext):
    if context.version == "1.0":
        step = yield context.call_activity("process_payment")
    else:
        step = yield context.call_activity("apply_discount")
    context.set_custom_status("Waiting for Continue event...")
    yield context.wait_for_external_event("Continue")
    explicit = yield context.call_sub_orchestrator("report_version", version="0.9")
    default = yield context.call_sub_orchestrator("report_version")
    return [f"Orchestration version: {context.version}", f"explicit: {explicit}", f"default: {default}", step]


@myApp.orchestration_trigger(context_name="context")
def report_version(context: df.DurableOrchestrationContext):
    return context.version


@myApp.activity_trigger(input_name="input")
def process_payment(input: str) -> str:
    return "payment processed"


@myApp.activity_trigger(input_name="input")
def apply_discount(input: str) -> str:
    return "discount applied"
