"""Sub-orchestrations (Durable Functions docs): a parent provisions devices through child orchestrations."""

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="provision", methods=["POST"])
@app.durable_client_input(client_name="client")
async def start(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    instance_id = await client.start_new("provision_devices", client_input=req.get_json())
    return client.create_check_status_response(req, instance_id)


@app.orchestration_trigger(context_name="context")
def provision_devices(context: df.DurableOrchestrationContext):
    devices = context.get_input()
    children = [
        context.call_sub_orchestrator("device_provisioning", device, f"{context.instance_id}-{device}")
        for device in devices
    ]
    provisioned = yield context.task_all(children)
    try:
        yield context.call_sub_orchestrator("device_provisioning", "broken-device")
    except Exception as error:
        return {"provisioned": provisioned, "failed": str(error).splitlines()[0]}
    return {"provisioned": provisioned}


@app.orchestration_trigger(context_name="context")
def device_provisioning(context: df.DurableOrchestrationContext):
    device = context.get_input()
    key = yield context.call_activity("create_device_key", device)
    yield context.call_activity("send_config", {"device": device, "key": key})
    return {"device": device, "key": key, "parent": context.parent_instance_id}


@app.activity_trigger(input_name="device")
def create_device_key(device: str) -> str:
    if device.startswith("broken"):
        raise ValueError(f"no key for {device}")
    return f"key-{device}"


@app.activity_trigger(input_name="config")
def send_config(config: dict) -> bool:
    return True
