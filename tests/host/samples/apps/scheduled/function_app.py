"""A timer-triggered starter (Azure Functions docs, timer trigger + Durable client): a report every second."""

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp()


@app.timer_trigger(arg_name="timer", schedule="%REPORT_SCHEDULE%")
@app.durable_client_input(client_name="client")
async def schedule_report(timer: func.TimerRequest, client: df.DurableOrchestrationClient) -> None:
    await client.start_new("build_report", client_input={"past_due": timer.past_due})


@app.orchestration_trigger(context_name="context")
def build_report(context: df.DurableOrchestrationContext):
    return (yield context.call_activity("render", context.get_input()))


@app.activity_trigger(input_name="request")
def render(request: dict) -> dict:
    return {"rendered": True, **request}
