"""Watching a fine-tuning job for hours or days without an ever-growing history.

The monitor polls the job with durable timers and exponential backoff, publishes progress in
its custom status, and restarts itself with continue-as-new every POLLS_PER_GENERATION polls,
so its history stays bounded whatever the job's length. The parent races it against the
deadline and the cancel event.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import azure.durable_functions as df
from pydantic import BaseModel

from orchestrators.policies import POLLS_PER_GENERATION, SERVICE_RETRY, backoff

blueprint = df.Blueprint()
MONITOR = "monitor_fine_tune"


def monitor_instance_id(run_instance_id: str, attempt: str) -> str:
    """Derived from the run and its attempt, so the API can find the monitor of a run."""
    return f"{run_instance_id}:monitor:{attempt}"


class MonitorInput(BaseModel):
    job_id: str
    interval_seconds: float
    max_interval_seconds: float
    polls: int = 0
    job: dict[str, Any] | None = None  # the last status seen, carried across generations
    progress: dict[str, Any] | None = None
    last_error: str | None = None


@blueprint.orchestration_trigger(context_name="context")
def monitor_fine_tune(context: df.DurableOrchestrationContext):
    watch = MonitorInput.model_validate(context.get_input())
    for _ in range(POLLS_PER_GENERATION):
        try:
            outcome = yield context.call_activity_with_retry("get_job_status", SERVICE_RETRY, watch.job_id)
        except (
            Exception
        ) as error:  # still failing after every retry: the job itself goes on, so keep watching
            watch = watch.model_copy(update={"last_error": str(error)[:300]})
        else:
            status = outcome.get("result")
            if status is None or status["status"] in ("succeeded", "failed", "cancelled"):
                return outcome  # finished, or a permanent failure such as an unknown job
            watch = watch.model_copy(
                update={
                    "last_error": None,
                    "job": {
                        "id": status["id"],
                        "status": status["status"],
                        "trained_tokens": status.get("trained_tokens"),
                    },
                    "progress": status["progress"],
                }
            )
        context.set_custom_status(
            {
                "stage": "training",
                "polls": watch.polls + 1,
                "job": watch.job,
                "progress": watch.progress,
                "last_error": watch.last_error,
                "updated": context.current_utc_datetime.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        )
        yield context.create_timer(context.current_utc_datetime + timedelta(seconds=watch.interval_seconds))
        watch = watch.model_copy(
            update={
                "polls": watch.polls + 1,
                "interval_seconds": backoff(watch.interval_seconds, watch.max_interval_seconds),
            }
        )
    context.continue_as_new(watch.model_dump())
