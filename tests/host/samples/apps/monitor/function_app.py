"""Monitor (Durable Functions docs): poll an external status on a durable timer until done or expired."""

from datetime import timedelta

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)

_checks: dict[str, int] = {}
"""How often each job was checked; a job is done at its third check (a stand-in for a real service)."""


@app.route(route="monitor/{job}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def start_monitor(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    body = {"job": req.route_params["job"], "interval": 0.3, "expires_in": req.get_json()["expires_in"]}
    instance_id = await client.start_new("job_monitor", client_input=body)
    return client.create_check_status_response(req, instance_id)


@app.orchestration_trigger(context_name="context")
def job_monitor(context: df.DurableOrchestrationContext):
    job = context.get_input()
    expiry = context.current_utc_datetime + timedelta(seconds=job["expires_in"])
    checks = 0
    while context.current_utc_datetime < expiry:
        checks += 1
        status = yield context.call_activity("get_job_status", job["job"])
        context.set_custom_status({"checks": checks, "status": status})
        if status == "Completed":
            yield context.call_activity("send_alert", f"{job['job']} completed after {checks} checks")
            return {"status": status, "checks": checks}
        yield context.create_timer(context.current_utc_datetime + timedelta(seconds=job["interval"]))
    return {"status": "Expired", "checks": checks}


@app.activity_trigger(input_name="job")
def get_job_status(job: str) -> str:
    _checks[job] = _checks.get(job, 0) + 1
    return "Completed" if _checks[job] >= 3 and not job.startswith("stuck") else "Running"


@app.activity_trigger(input_name="message")
def send_alert(message: str) -> str:
    return message
