"""The blob trigger: a dataset landing in `incoming/<run>/` starts that run's orchestration.

Blob events are at-least-once and a run has up to three files, so the trigger is careful to
start exactly one orchestration per upload: the instance id is derived from the run
(`ft-<run>`), an active instance is left alone, and an event for a blob older than the last
attempt is a duplicate. In Azure the source is Event Grid (`FT_BLOB_SOURCE=EventGrid`); the
default container scan is what the local dev host polls.
"""

from __future__ import annotations

import logging
import os

import azure.durable_functions as df
import azure.functions as func

from triggers.runs import current_status, instance_id, is_active, start_run
from tuning.clients import shared_clients
from tuning.paths import parse_incoming, run_folder
from tuning.payloads import RunRequest

blueprint = df.Blueprint()
log = logging.getLogger("triggers.blob")

# Read once at import: binding metadata is fixed when the host indexes the app.
SOURCE = (
    func.BlobSource.EVENT_GRID
    if os.environ.get("FT_BLOB_SOURCE", "").lower() == "eventgrid"
    else func.BlobSource.LOGS_AND_CONTAINER_SCAN
)


@blueprint.blob_trigger(
    arg_name="blob", path="%FT_CONTAINER%/incoming/{run}/{name}", connection="FT_STORAGE", source=SOURCE
)
@blueprint.durable_client_input(client_name="client")
async def dataset_arrived(blob: func.InputStream, client: df.DurableOrchestrationClient) -> None:
    container, _, blob_name = (blob.name or "").partition("/")
    incoming = parse_incoming(blob_name)
    if incoming is None or incoming.kind is None:
        log.info("ignored %s: not incoming/<run>/training.jsonl, validation.jsonl or run.json", blob.name)
        return
    store = shared_clients().store
    if incoming.kind != "training" and not store.exists(f"{run_folder(incoming.run)}training.jsonl"):
        log.info(
            "run %s: %s arrived; the run starts when training.jsonl lands", incoming.run, incoming.file_name
        )
        return
    instance = instance_id(incoming.run)
    status = await current_status(client, instance)
    if is_active(status):
        log.info(
            "run %s: %s arrived while %s is %s; it is collected by that attempt",
            incoming.run,
            incoming.file_name,
            instance,
            status.runtime_status.value,
        )
        return
    if status is not None and status.created_time is not None:
        modified = store.container.get_blob_client(blob_name).get_blob_properties().last_modified
        if modified <= status.created_time:
            log.info(
                "run %s: duplicate event for %s (older than attempt started %s)",
                incoming.run,
                blob_name,
                status.created_time.isoformat(),
            )
            return
    settle = shared_clients().settings.settle_seconds
    await start_run(client, RunRequest(run=incoming.run, source="blob", settle_seconds=settle))
    log.info("run %s: started %s from %s/%s", incoming.run, instance, container, blob_name)
