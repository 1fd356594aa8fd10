"""Running one activity attempt and reporting its result to the engine (host and harness alike).

Payloads cross the activity boundary as the Python worker moves them, through the SDK's
`ActivityTriggerConverter`: the input JSON is decoded with `df_loads` and the result encoded with
`df_dumps`, so custom classes with `to_json`/`from_json` round-trip and
`AZURE_FUNCTIONS_DURABLE_STRICT_TYPING` applies exactly as in Azure.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

from azure.functions.durable_functions import ActivityTriggerConverter
from azure.functions.meta import Datum

from local.host.durable.engine import Engine
from local.host.durable.store import WorkItem

__all__ = ["ActivityRunner", "decode_input", "encode_output", "execute"]

log = logging.getLogger("devhost.activity")

ActivityRunner = Callable[[str | None], str]
"""An activity by JSON: input JSON in, result JSON out, exceptions for failures."""


def decode_input(input_json: str | None) -> Any:
    """The value an activity function receives for the input JSON the orchestration sent."""
    return ActivityTriggerConverter.decode(Datum(input_json or "null", "json"), trigger_metadata=None)


def encode_output(value: Any) -> str:
    """The result JSON the host records for an activity's return value."""
    return str(ActivityTriggerConverter.encode(value, expected_type=None).value)


def execute(engine: Engine, work: WorkItem, run: ActivityRunner) -> None:
    log.info(
        "Executing activity '%s' (%s, task %d, attempt %d)",
        work.name,
        work.instance_id,
        work.task_id,
        work.attempt,
    )
    try:
        result = run(work.input)
    except Exception as exc:
        log.warning("Activity '%s' (%s) failed: %s: %s", work.name, work.instance_id, type(exc).__name__, exc)
        engine.complete_activity(
            work,
            failure=(
                f"Activity function '{work.name}' failed: {type(exc).__name__}: {exc}",
                traceback.format_exc(),
            ),
        )
    else:
        engine.complete_activity(work, result)
