"""The HTTP API (DESIGN.md, "HTTP API"): start, list, inspect, cancel, approve, validate.

Function-key auth on every route. Bodies are checked against a schema that rejects unknown
keys, blob paths are confined to the configured container, and every client mistake answers
a 4xx problem+json body that names the field and the rule.
"""

from __future__ import annotations

import asyncio
import functools
import io
import json
import logging
from typing import Any

import azure.durable_functions as df
import azure.functions as func
from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, field_validator

from orchestrators.monitor import monitor_instance_id
from orchestrators.pipeline import PIPELINE
from orchestrators.policies import APPROVAL_EVENT, CANCEL_EVENT
from triggers.problems import Problem, json_response
from triggers.runs import current_status, describe, instance_id, is_active, run_name, start_run
from tuning.catalog import UnknownModelError
from tuning.clients import shared_clients
from tuning.options import OptionsError, describe_validation_error, parse_options
from tuning.paths import PathError, check_run_name, confined_blob_path, parse_incoming
from tuning.payloads import RunRequest
from tuning.validation import validate_stream

blueprint = df.Blueprint()
log = logging.getLogger("triggers.http")
MAX_INLINE_DATASET = 16 * 1024 * 1024
JSONL_TYPES = ("application/jsonl", "application/x-ndjson", "application/x-jsonlines", "text/plain")


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StartRun(Body):
    run: str | None = None
    training: str
    validation: str | None = None
    options: dict[str, Any] | None = None

    @field_validator("training", "validation")
    @classmethod
    def _confined(cls, path: str | None) -> str | None:
        if path is not None:
            confined_blob_path(path)
            if not path.endswith(".jsonl"):
                raise ValueError("a dataset must be a .jsonl blob")
        return path

    def run_name(self) -> str:
        """The run defaults to the dataset's run folder (`incoming/<run>/training.jsonl`)."""
        if self.run:
            return check_run_name(self.run)
        incoming = parse_incoming(self.training)
        if incoming is None:
            raise PathError("no run name: give `run`, or name a dataset in incoming/<run>/")
        return incoming.run


class Cancel(Body):
    reason: str | None = Field(default=None, max_length=500)


class Approval(Body):
    approved: StrictBool
    by: str | None = Field(default=None, max_length=200)
    comment: str | None = Field(default=None, max_length=1000)


class ValidateBlob(Body):
    blob: str
    model: str | None = None

    @field_validator("blob")
    @classmethod
    def _confined(cls, path: str) -> str:
        return confined_blob_path(path)


def parse_body(req: func.HttpRequest, schema: type[Body], required: bool = True) -> Any:
    raw = req.get_body()
    if not raw and not required:
        return schema()
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise Problem(400, "the body must be a JSON object") from None
    try:
        return schema.model_validate(data)
    except ValidationError as error:
        raise Problem(400, f"invalid body: {describe_validation_error(error)}") from None


def handled(handler):
    """Turn Problems (and the domain's input errors) into problem+json responses."""

    @functools.wraps(handler)
    async def wrapper(*args: Any, **bindings: Any) -> func.HttpResponse:
        try:
            return await handler(*args, **bindings)
        except Problem as problem:
            return problem.response()
        except (PathError, OptionsError, UnknownModelError) as error:
            return Problem(400, str(error)).response()

    return wrapper


async def existing_run(
    client: df.DurableOrchestrationClient, identifier: str
) -> df.DurableOrchestrationStatus:
    status = await current_status(client, instance_id(run_name(identifier)))
    if status is None:
        raise Problem(404, f"no run {identifier!r}")
    return status


@blueprint.route(route="runs", methods=["POST"])
@blueprint.durable_client_input(client_name="client")
@handled
async def start_run_http(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    """Start a run from blobs already in the container; 202 with the Durable status URLs."""
    body: StartRun = parse_body(req, StartRun)
    run = body.run_name()
    parse_options(body.options, "options")  # fail now, not minutes later in the orchestration
    store = shared_clients().store
    for path in filter(None, (body.training, body.validation)):
        if not store.exists(path):
            raise Problem(422, f"blob {path!r} does not exist in container {store.name!r}")
    instance = instance_id(run)
    conflict = Problem(409, f"run {run!r} is already in progress as {instance}", instance_id=instance)
    if is_active(await current_status(client, instance)):
        raise conflict
    try:
        await start_run(
            client,
            RunRequest(
                run=run,
                source="http",
                training=body.training,
                validation=body.validation,
                options=body.options,
            ),
        )
    except Exception:
        if is_active(await current_status(client, instance)):  # another start won the race
            raise conflict from None
        raise
    log.info("run %s: started %s over HTTP", run, instance)
    return client.create_check_status_response(req, instance)


@blueprint.route(route="runs", methods=["GET"])
@blueprint.durable_client_input(client_name="client")
@handled
async def list_runs(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    """Recent runs, newest first, with stage and status."""
    try:
        limit = max(1, min(200, int(req.params.get("limit", "50"))))
    except ValueError:
        raise Problem(400, "limit must be a whole number") from None
    statuses = [s for s in await client.get_status_all() if s.name == PIPELINE]
    statuses.sort(key=lambda s: s.created_time or 0, reverse=True)
    return json_response({"runs": [describe(s) for s in statuses[:limit]]})


@blueprint.route(route="runs/{id}", methods=["GET"])
@blueprint.durable_client_input(client_name="client")
@handled
async def get_run(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    """One run. While training, job status and progress come from the monitor's own status."""
    status = await existing_run(client, req.route_params["id"])
    run = describe(status)
    custom = status.custom_status if isinstance(status.custom_status, dict) else {}
    if run["stage"] == "training" and is_active(status) and custom.get("attempt"):
        monitor = await current_status(client, monitor_instance_id(status.instance_id, custom["attempt"]))
        if monitor is not None and isinstance(monitor.custom_status, dict):
            progress_keys = ("job", "progress", "updated", "polls", "last_error")
            run.update({key: monitor.custom_status.get(key) for key in progress_keys})
    return json_response(run)


@blueprint.route(route="runs/{id}/cancel", methods=["POST"])
@blueprint.durable_client_input(client_name="client")
@handled
async def cancel_run(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    """Ask the run to stop; the orchestration cancels the Azure job and writes its report."""
    body: Cancel = parse_body(req, Cancel, required=False)
    status = await existing_run(client, req.route_params["id"])
    if not is_active(status):
        raise Problem(
            409, f"run {status.instance_id} is {status.runtime_status.value}; there is nothing to cancel"
        )
    await client.raise_event(status.instance_id, CANCEL_EVENT, {"reason": body.reason})
    return json_response({"id": status.instance_id, "cancel": "requested"}, status=202)


@blueprint.route(route="runs/{id}/approve", methods=["POST"])
@blueprint.durable_client_input(client_name="client")
@handled
async def approve_run(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    """Approve or reject the gate the run is waiting at."""
    body: Approval = parse_body(req, Approval)
    status = await existing_run(client, req.route_params["id"])
    stage = (status.custom_status or {}).get("stage", "") if isinstance(status.custom_status, dict) else ""
    if not is_active(status) or not stage.startswith("awaiting_approval"):
        raise Problem(
            409, f"run {status.instance_id} is not waiting for approval (stage: {stage or 'unknown'})"
        )
    await client.raise_event(status.instance_id, APPROVAL_EVENT, body.model_dump())
    return json_response({"id": status.instance_id, "approved": body.approved}, status=202)


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
            )
        report = await asyncio.to_thread(_validate, io.BytesIO(raw), "request body", model)
    elif content_type in ("application/json", ""):
        body: ValidateBlob = parse_body(req, ValidateBlob)
        store = shared_clients().store
        if not store.exists(body.blob):
            raise Problem(404, f"blob {body.blob!r} does not exist in container {store.name!r}")
        with store.open_stream(body.blob) as stream:  # validating blocks: keep it off the event loop
            report = await asyncio.to_thread(_validate, stream, body.blob, body.model or model)
    else:
        raise Problem(
            415, f'send application/json ({{"blob": ...}}) or application/jsonl, not {content_type}'
        )
    return json_response(report.to_dict())


def _validate(stream, name: str, model: str | None):
    settings = shared_clients().settings
    return validate_stream(
        stream, name=name, model=model or settings.base_model, price_overrides=settings.training_prices
    )
