"""Running one activity attempt and reporting its result to the engine (host and harness alike)."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable

from local.host.durable.engine import Engine
from local.host.durable.store import WorkItem

log = logging.getLogger("devhost.activity")

ActivityRunner = Callable[[str | None], str]
"""An activity by JSON: input JSON in, result JSON out, exceptions for failures."""


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
