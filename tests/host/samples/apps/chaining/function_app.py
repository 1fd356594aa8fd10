"""Function chaining (Durable Functions docs): call activities in sequence, each with the last result.

The app object is named `myApp`, as in the official samples.
"""

import azure.durable_functions as df
import azure.functions as func

myApp = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@myApp.route(route="orchestrators/{functionName}")
@myApp.durable_client_input(client_name="client")
async def http_start(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    instance_id = await client.start_new(req.route_params["functionName"])
    return client.create_check_status_response(req, instance_id)


@myApp.orchestration_trigger(context_name="context")
def hello_sequence(context: df.DurableOrchestrationContext):
    result1 = yield context.call_activity("say_hello", "Tokyo")
    result2 = yield context.call_activity("say_hello", "Seattle")
    result3 = yield context.call_activity("say_hello", "London")
    return [result1, result2, result3]


@myApp.orchestration_trigger(context_name="context")
def shout_sequence(context: df.DurableOrchestrationContext):
    """Each step feeds the next: hello, then shout the greeting."""
    greeting = yield context.call_activity("say_hello", "Cairo")
    return (yield context.call_activity("shout", greeting))


@myApp.activity_trigger(input_name="city")
def say_hello(city: str) -> str:
    return f"Hello {city}!"


@myApp.activity_trigger(input_name="text")
def shout(text: str) -> str:
    return text.upper()
