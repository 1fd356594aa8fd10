"""What every activity shares: one set of clients per worker, and one way to answer.

An activity answers an `ActivityOutcome`: its result, or a Failure for a permanent failure
(nothing to gain from retrying). A transient failure raises, so that the retry options stated in
the orchestrator apply. Each activity is a step of tuning.steps registered under its handle's
name, so this module is the only place that knows how Functions calls them.
"""

from __future__ import annotations

import logging
from typing import Any

import azure.durable_functions as df
from pydantic import ValidationError

from tuning.clients import shared_clients
from tuning.errors import as_pipeline_error
from tuning.failures import PipelineError
from tuning.handles import Activity
from tuning.options import describe_validation_error
from tuning.payloads import ActivityOutcome, Failure
from tuning.steps import Step

__all__ = ["register", "run_step"]

log = logging.getLogger("activities")


def run_step(activity: Activity[Any, Any], step: Step, payload: Any) -> dict[str, Any]:
    """The step's answer as the plain JSON of an ActivityOutcome (see tuning.payloads.Payload)."""
    return _outcome(activity, step, payload).dump()


def _outcome(activity: Activity[Any, Any], step: Step, payload: Any) -> ActivityOutcome:
    try:
        request = activity.input.model_validate(payload)
    except ValidationError as error:  # a caller bug, never worth retrying
        failure = PipelineError(
            "internal_error", f"{activity.name} input: {describe_validation_error(error)}"
        )
        return ActivityOutcome(failure=Failure.of(failure))
    try:
        result = step(shared_clients(), request)
    except Exception as error:
        permanent = as_pipeline_error(error)
        if permanent is None:
            log.warning("%s: transient %s, left to the retry policy", activity.name, type(error).__name__)
            raise
        log.error("%s failed permanently: %s", activity.name, permanent.code)
        return ActivityOutcome(failure=Failure.of(permanent))
    return ActivityOutcome(result=activity.output.model_validate(result).dump())


def register(blueprint: df.Blueprint, activity: Activity[Any, Any], step: Step) -> None:
    """Register `step` as the activity named by its handle."""

    def handler(payload: Any) -> dict[str, Any]:
        return run_step(activity, step, payload)

    handler.__name__ = handler.__qualname__ = activity.name
    blueprint.function_name(activity.name)(blueprint.activity_trigger(input_name="payload")(handler))
