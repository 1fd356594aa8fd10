"""The HTTP API (DESIGN.md, "HTTP API"): start, list, inspect, cancel, approve, pause, resume,
validate, and the OpenAPI document of it all.

Function-key auth on every route. Bodies are checked against the models of triggers.api_models
(unknown keys refused), blob paths are confined to the configured container, and every client
mistake answers a 4xx problem+json body that names the field and the rule: oversized or deeply
nested bodies included. URLs in answers come from the configured base URL, never from the
request's Host header, and never point at the Durable management API.
"""

from __future__ import annotations

import asyncio
import functools
import io
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import azure.durable_functions as df
import azure.functions as func
from pydantic import ValidationError

from orchestrators.monitor import monitor_instance_id
from orchestrators.pipeline import PIPELINE
from orchestrators.policies import APPROVAL_EVENT, CANCEL_EVENT, JOB_CONTROL_EVENT
from triggers.api_models import (
    Accepted,
    Approval,
    Body,
    CancelRun,
    JobControlRequest,
    Links,
    RollbackRequest,
    StartRun,
    ValidateBlob,
)
from triggers.openapi import openapi_document
from triggers.problems import Problem, json_response, problem_for
from triggers.runs import current_status, describe, instance_id, is_active, links, seen_versions, start_run
from tuning.catalog import UnknownModelError
from tuning.clients import shared_clients
from tuning.failures import PipelineError
from tuning.options import describe_validation_error, merge_options, parse_options
from tuning.paths import check_run_name, parse_incoming, run_folder
from tuning.payloads import ApprovalEvent, CancelEvent, DeployInput, JobControlEvent, RunRequest
from tuning.reports.model import RunReport
from tuning.validation import ValidationReport, validate_stream

__all__ = ["MAX_INLINE_DATASET", "MAX_JSON_BODY", "blueprint"]

blueprint = df.Blueprint()
log = logging.getLogger("triggers.http")
MAX_INLINE_DATASET = 16 * 1024 * 1024
MAX_JSON_BODY = 1024 * 1024
JSONL_TYPES = ("application/jsonl", "application/x-ndjson", "application/x-jsonlines", "text/plain")
B = TypeVar("B", bound=Body)
Handler = Callable[..., Awaitable[func.HttpResponse]]


def parse_body(req: func.HttpRequest, schema: type[B], required: bool = True) -> B:
    raw = req.get_body()
    if not raw and not required:
        return schema()
    if len(raw) > MAX_JSON_BODY:
        raise Problem(413, f"a JSON body is at most {MAX_JSON_BODY // 1024} KB", code="body_too_large")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise Problem(400, "the body must be a JSON object", code="invalid_request") from None
    except RecursionError:
        raise Problem(400, "the body is nested too deeply", code="invalid_request") from None
    try:
        return schema.model_validate(data)
    except ValidationError as error:
        raise Problem(
            400, f"invalid body: {describe_validation_error(error)}", code="invalid_request"
        ) from None
    except RecursionError:
        raise Problem(400, "the body is nested too deeply", code="invalid_request") from None


def handled(handler: Handler) -> Handler:
    """Turn Problems and the domain's input errors into problem+json answers."""

    @functools.wraps(handler)
    async def wrapper(*args: Any, **bindings: Any) -> func.HttpResponse:
        try:
            return await handler(*args, **bindings)
        except Problem as problem:
            return problem.response()
        except PipelineError as error:
            return problem_for(error).response()
        except UnknownModelError as error:
            return Problem(400, str(error), code="unknown_model").response()

    return wrapper


def route_run(req: func.HttpRequest) -> str:
    """The run named in the route: its name only, checked in full."""
    return check_run_name(req.route_params.get("run", ""))


async def existing_run(client: df.DurableOrchestrationClient, run: str) -> df.DurableOrchestrationStatus:
    status = await current_status(client, instance_id(run))
    if status is None:
        raise Problem(404, f"no run {run!r}", code="run_not_found")
    return status


def stage_of(status: df.DurableOrchestrationStatus) -> str:
    custom = status.custom_status if isinstance(status.custom_status, dict) else {}
    return str(custom.get("stage") or "")


def base_url() -> str | None:
    return shared_clients().settings.public_base_url


@blueprint.route(route="runs", methods=["POST"])
@blueprint.durable_client_input(client_name="client")
@handled
async def start_run_http(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    """Start an attempt from blobs already in the container; 202 with this API's run URLs."""
    body = parse_body(req, StartRun)
    run = body.run or _run_of(body.training)
    clients = shared_clients()
    merge_options(clients.settings, run, parse_options(body.options, "options"))  # fail now, not later
    store = clients.store
    folder = {f.path: f.etag for f in await asyncio.to_thread(store.run_files, run)}
    training = body.training or f"{run_folder(run)}training.jsonl"
    for path in filter(None, (training, body.validation)):
        if path not in folder and not await asyncio.to_thread(store.exists, path):
            raise Problem(
                422, f"blob {path!r} does not exist in container {store.name!r}", code="missing_file"
            )
    instance = instance_id(run)
    conflict = Problem(409, f"run {run!r} is already in progress", code="run_in_progress")
    if is_active(await current_status(client, instance)):
        raise conflict
    request = RunRequest(
        run=run,
        source="http",
        training=training,
        validation=body.validation,
        options=body.options,
        seen=folder,
    )
    try:
        await start_run(client, request)
    except Exception:
        if is_active(await current_status(client, instance)):  # another start won the race
            raise conflict from None
        raise
    log.info("run %s: started %s over HTTP", run, instance)
    own = links(run, base_url())
    answer = Accepted(id=instance, run=run, status="accepted", links=Links.model_validate(own))
    return json_response(
        answer.model_dump(), status=202, headers={"Location": own["self"], "Retry-After": "10"}
    )


def _run_of(training: str | None) -> str:
    """The run defaults to the dataset's run folder (`incoming/<run>/training.jsonl`)."""
    incoming = parse_incoming(training or "")
    if incoming is None:
        raise Problem(
            400, "no run name: give `run`, or name a dataset in incoming/<run>/", code="invalid_request"
        )
    return incoming.run


@blueprint.route(route="runs", methods=["GET"])
@blueprint.durable_client_input(client_name="client")
@handled
async def list_runs(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    """Recent runs, newest first, with stage and status."""
    try:
        limit = max(1, min(200, int(req.params.get("limit", "50"))))
    except ValueError:
        raise Problem(400, "limit must be a whole number", code="invalid_request") from None
    statuses = [s for s in await client.get_status_all() if s.name == PIPELINE]
    statuses.sort(key=lambda s: s.created_time.timestamp() if s.created_time else 0, reverse=True)
    return json_response({"runs": [describe(s, base_url()) for s in statuses[:limit]]})


@blueprint.route(route="runs/{run}", methods=["GET"])
@blueprint.durable_client_input(client_name="client")
@handled
async def get_run(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    """One run. While training, job status and progress come from the monitor's own status."""
    run = route_run(req)
    status = await existing_run(client, run)
    view = describe(status, base_url())
    custom = status.custom_status if isinstance(status.custom_status, dict) else {}
    if is_active(status) and view["stage"] == "training" and custom.get("attempt"):
        monitor = await current_status(client, monitor_instance_id(status.instance_id, custom["attempt"]))
        if monitor is not None and isinstance(monitor.custom_status, dict):
            view.update(
                {
                    key: monitor.custom_status.get(key)
                    for key in ("job", "progress", "updated", "polls", "last_error")
                }
            )
    if is_active(status) and view["stage"] not in (None, "starting", "collecting"):
        seen = seen_versions(status)
        files = await asyncio.to_thread(shared_clients().store.run_files, run)
        view["late_files"] = [f.path for f in files if seen.get(f.path) != f.etag]
    return json_response(view)


@blueprint.route(route="runs/{run}/cancel", methods=["POST"])
@blueprint.durable_client_input(client_name="client")
@handled
async def cancel_run(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    """Ask the run to stop; it cancels its Azure job, removes what it deployed and writes its report."""
    body = parse_body(req, CancelRun, required=False)
    status = await existing_run(client, route_run(req))
    if not is_active(status):
        raise Problem(
            409, f"run {status.instance_id} has ended; there is nothing to cancel", code="run_ended"
        )
    await client.raise_event(status.instance_id, CANCEL_EVENT, CancelEvent(reason=body.reason).dump())
    return json_response({"id": status.instance_id, "cancel": "requested"}, status=202)


@blueprint.route(route="runs/{run}/approve", methods=["POST"])
@blueprint.durable_client_input(client_name="client")
@handled
async def approve_run(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    """Approve or reject the gate the run is waiting at."""
    body = parse_body(req, Approval)
    status = await existing_run(client, route_run(req))
    stage = stage_of(status)
    if not is_active(status) or not stage.startswith("awaiting_approval"):
        raise Problem(
            409,
            f"run {status.instance_id} is not waiting for approval (stage: {stage or 'unknown'})",
            code="no_gate",
        )
    await client.raise_event(status.instance_id, APPROVAL_EVENT, ApprovalEvent(**body.model_dump()).dump())
    return json_response({"id": status.instance_id, "approved": body.approved}, status=202)


def _job_control(action: str) -> Handler:
    async def control(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
        body = parse_body(req, JobControlRequest, required=False)
        status = await existing_run(client, route_run(req))
        if not is_active(status) or stage_of(status) != "training":
            raise Problem(
                409,
                f"run {status.instance_id} is not training (stage: {stage_of(status) or 'unknown'}); only a "
                f"training job can {action}",
                code="not_training",
            )
        event = JobControlEvent(action=action, by=body.by)
        await client.raise_event(status.instance_id, JOB_CONTROL_EVENT, event.dump())
        return json_response({"id": status.instance_id, action: "requested"}, status=202)

    control.__name__ = control.__qualname__ = f"{action}_run"
    control.__doc__ = f"Ask the run to {action} its fine-tuning job (Azure keeps the deadline running)."
    return handled(control)


for _action in ("pause", "resume"):
    blueprint.route(route=f"runs/{{run}}/{_action}", methods=["POST"])(
        blueprint.durable_client_input(client_name="client")(_job_control(_action))
    )


@blueprint.route(route="runs/{run}/rollback", methods=["POST"])
@blueprint.durable_client_input(client_name="client")
@handled
async def rollback_run(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    """Put back the model the run's promotion replaced on the production deployment."""
    body = parse_body(req, RollbackRequest, required=False)
    status = await existing_run(client, route_run(req))
    if is_active(status):
        raise Problem(
            409, f"run {status.instance_id} is still running; cancel it instead", code="run_in_progress"
        )
    artifacts = status.output.get("artifacts") if isinstance(status.output, dict) else None
    if not isinstance(artifacts, dict) or "report.json" not in artifacts:
        raise Problem(
            409, f"run {status.instance_id} has no report to roll back from", code="nothing_to_roll_back"
        )
    clients = shared_clients()
    report = RunReport.model_validate(
        await asyncio.to_thread(clients.store.read_json, artifacts["report.json"])
    )
    deployment = report.deployment
    if report.status != "succeeded" or deployment is None or not deployment.replaced_model:
        raise Problem(
            409, "the run replaced no model: there is nothing to roll back to", code="nothing_to_roll_back"
        )
    request = DeployInput(
        name=deployment.name,
        model=deployment.replaced_model,
        sku=deployment.sku,
        capacity=deployment.capacity,
        run_key=f"{report.instance_id}/{report.attempt}",
        role="production",
    )
    result = await asyncio.to_thread(clients.deployments.deploy, request)
    record = {"deployment": deployment.name, "model": deployment.replaced_model, "by": body.by}
    await asyncio.to_thread(clients.store.write_json, f"{report.report_folder}rollback.json", record)
    log.info("run %s: rolled %s back to %s", report.run, deployment.name, deployment.replaced_model)
    return json_response({**record, "provisioning_state": result.provisioning_state}, status=202)


@blueprint.route(route="validate", methods=["POST"])
@handled
async def validate_http(req: func.HttpRequest) -> func.HttpResponse:
    """Validate a blob (JSON body) or a small JSONL body, without starting anything."""
    content_type = (req.headers.get("content-type") or "").split(";")[0].strip().lower()
    model = req.params.get("model")
    if content_type in JSONL_TYPES:
        raw = req.get_body()
        if len(raw) > MAX_INLINE_DATASET:
            raise Problem(
                413,
                f"an inline dataset is at most {MAX_INLINE_DATASET // (1024 * 1024)} MB; "
                "upload it to the container and validate the blob instead",
                code="body_too_large",
            )
        report = await asyncio.to_thread(_validate, io.BytesIO(raw), "request body", model)
    elif content_type in ("application/json", ""):
        body = parse_body(req, ValidateBlob)
        store = shared_clients().store
        if not await asyncio.to_thread(store.exists, body.blob):
            raise Problem(
                404, f"blob {body.blob!r} does not exist in container {store.name!r}", code="missing_file"
            )
        report = await asyncio.to_thread(_validate_blob, body.blob, body.model or model)
    else:
        raise Problem(
            415,
            f'send application/json ({{"blob": ...}}) or application/jsonl, not {content_type}',
            code="unsupported_media_type",
        )
    return json_response(report.to_dict())


def _validate_blob(path: str, model: str | None) -> ValidationReport:
    with shared_clients().store.open_stream(path) as stream:
        return _validate(stream, path, model)


def _validate(stream: Any, name: str, model: str | None) -> ValidationReport:
    settings = shared_clients().settings
    return validate_stream(
        stream, name=name, model=model or settings.base_model, price_overrides=settings.training_prices
    )


@blueprint.route(route="openapi.json", methods=["GET"])
@handled
async def openapi_http(req: func.HttpRequest) -> func.HttpResponse:
    """This API's OpenAPI document."""
    return json_response(openapi_document(base_url()))
