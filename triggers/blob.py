"""The blob trigger: a dataset landing in `incoming/<run>/` starts that run's orchestration.

Blob events are at-least-once and a run has up to four files, so the trigger starts exactly one
orchestration per upload: the instance id is derived from the run (`ft-<run>`), an active
instance is left alone, and an event for a blob version the last attempt already saw (its ETag)
is a duplicate. Versions, not timestamps: the host's clock and the storage clock never meet.
A file that lands while an attempt runs is not used by it; the run's status and report list it,
and a new attempt picks it up. In Azure the source is Event Grid (`FT_BLOB_SOURCE=EventGrid`);
the default container scan is what the local dev host polls. The function reads only the
blob's name: the stream it is given is never read.
"""

from __future__ import annotations

import asyncio
import logging
import os

import azure.durable_functions as df
import azure.functions as func

from triggers.runs import current_status, instance_id, is_active, seen_versions, start_run
from tuning.clients import shared_clients
from tuning.paths import parse_incoming, run_folder
from tuning.payloads import RunRequest

__all__ = ["blueprint"]

blueprint = df.Blueprint()
log = logging.getLogger("triggers.blob")

# Read once at import: binding metadata is fixed when the host indexes the app.
SOURCE = (
    func.BlobSource.EVENT_GRID
    if os.environ.get("FT_BLOB_SOURCE", "").lower() == "eventgrid"
    else func.BlobSource.LOGS_AND_CONTAINER_SCAN
)
COLLECTING = (None, "starting", "collecting")  # before resolve: the attempt reads what is there


@blueprint.blob_trigger(
    arg_name="blob", path="%FT_CONTAINER%/incoming/{run}/{name}", connection="FT_STORAGE", source=SOURCE
)
@blueprint.durable_client_input(client_name="client")
async def dataset_arrived(blob: func.InputStream, client: df.DurableOrchestrationClient) -> None:
    _, _, blob_name = (blob.name or "").partition("/")
    incoming = parse_incoming(blob_name)
    if incoming is None or incoming.kind is None:
        log.info(
            "ignored %s: not incoming/<run>/training.jsonl, validation.jsonl, eval.jsonl or run.json",
            blob.name,
        )
        return
    store = shared_clients().store
    files = await asyncio.to_thread(store.run_files, incoming.run)
    versions = {f.path: f.etag for f in files}
    if blob_name not in versions:
        log.info("run %s: %s was deleted before its event was handled", incoming.run, blob_name)
        return
    if f"{run_folder(incoming.run)}training.jsonl" not in versions:
        log.info(
            "run %s: %s arrived; the run starts when training.jsonl lands", incoming.run, incoming.file_name
        )
        return
    instance = instance_id(incoming.run)
    status = await current_status(client, instance)
    if seen_versions(status).get(blob_name) == versions[blob_name]:
        log.info(
            "run %s: duplicate event for %s (version %s already seen)",
            incoming.run,
            blob_name,
            versions[blob_name],
        )
        return
    if is_active(status):
        assert status is not None
        stage = (status.custom_status or {}).get("stage") if isinstance(status.custom_status, dict) else None
        if stage in COLLECTING:
            log.info("run %s: %s arrived while collecting; this attempt reads it", incoming.run, blob_name)
        else:
            log.warning(
                "run %s: %s changed while attempt %s is %s; that attempt does not use it (its status and "
                "report list it); a new attempt picks it up",
                incoming.run,
                blob_name,
                instance,
                stage,
            )
        return
    settle = shared_clients().settings.settle_seconds
    await start_run(client, RunRequest(run=incoming.run, source="blob", settle_seconds=settle, seen=versions))
    log.info("run %s: started %s from %s", incoming.run, instance, blob_name)
