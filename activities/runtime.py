"""What every activity shares: one set of clients per worker, and one way to answer.

An activity answers `{"result": ...}`, or `{"failure": {"code", "message"}}` for a permanent
failure (nothing to gain from retrying), and raises for a transient one so that the retry
options stated in the orchestrator apply. Each activity is a step of tuning.steps registered
under its name, so this module is the only place that knows how Functions calls them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import azure.durable_functions as df
from pydantic import BaseModel

from tuning.clients import Clients, shared_clients
from tuning.errors import as_failure
from tuning.payloads import ActivityOutcome

log = logging.getLogger("activities")
Step = Callable[[Clients, Any], Any]


def run_step(name: str, step: Step, request: Any) -> dict[str, Any]:
    try:
        result = step(shared_clients(), request)
    except Exception as error:
        failure = as_failure(error)
        if failure is None:
            log.warning("%s: transient %s, left to the retry policy", name, type(error).__name__)
            raise
        log.error("%s failed permanently: %s", name, failure.code)
        return ActivityOutcome(failure=failure).dump()
    payload = result.model_dump(mode="json") if isinstance(result, BaseModel) else result
    return ActivityOutcome(result=payload).dump()


def register(
    blueprint: df.Blueprint, step: Step, request_type: type[BaseModel] | None = None, name: str | None = None
) -> None:
    """Register `step` as the activity `name` (default: the step's name); its JSON input is
    parsed into `request_type` when given, else passed as it is (an id)."""
    name = name or step.__name__

    def activity(payload: Any) -> dict[str, Any]:
        request = request_type.model_validate(payload) if request_type else payload
        return run_step(name, step, request)

    activity.__name__ = activity.__qualname__ = name
    blueprint.function_name(name)(blueprint.activity_trigger(input_name="payload")(activity))
