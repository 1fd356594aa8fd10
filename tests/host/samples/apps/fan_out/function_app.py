"""Fan-out/fan-in (Durable Functions docs): run activities in parallel, aggregate their results."""

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="orchestrators/{functionName}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def http_start(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    instance_id = await client.start_new(req.route_params["functionName"], client_input=req.get_json())
    return client.create_check_status_response(req, instance_id)


@app.orchestration_trigger(context_name="context")
def sum_of_squares(context: df.DurableOrchestrationContext):
    numbers = yield context.call_activity("get_work_batch", context.get_input())
    squares = yield context.task_all([context.call_activity("square", n) for n in numbers])
    return {"count": len(squares), "total": sum(squares)}


@app.activity_trigger(input_name="size")
def get_work_batch(size: int) -> list:
    return list(range(1, size + 1))


@app.activity_trigger(input_name="number")
def square(number: int) -> int:
    return number * number
