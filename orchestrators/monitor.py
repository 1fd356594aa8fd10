"""Watching a fine-tuning job for hours or days without an ever-growing history.

The monitor polls the job with durable timers and exponential backoff, publishes progress in its
custom status, and restarts itself with continue-as-new every POLLS_PER_GENERATION polls, so its
history stays bounded whatever the job's length. It returns when the job has finished (or cannot
be found); the parent races it against the deadline, a cancel and pause/resume requests.
"""

from __future__ import annotations

from datetime import timedelta

import azure.durable_functions as df

from orchestrators.policies import POLLS_PER_GENERATION, backoff
from orchestrators.run_state import Steps, iso, orchestrator, schedule, unwrap
from tuning.failures import PipelineError, short
from tuning.handles import GET_JOB_STATUS
from tuning.payloads import ActivityOutcome, Failure, JobId, JobStatus, Payload

__all__ = ["MONITOR", "MonitorInput", "blueprint", "monitor_instance_id"]

blueprint = df.Blueprint()
MONITOR = "monitor_fine_tune"


def monitor_instance_id(run_instance_id: str, attempt: str) -> str:
    """Derived from the run and its attempt, so the API can find the monitor of a run."""
    return f"{run_instance_id}:monitor:{attempt}"


class MonitorInput(Payload):
    job_id: str
    interval_seconds: float
    max_interval_seconds: float
    polls: int = 0
    last: JobStatus | None = None  # the last status seen, carried across generations
    last_error: str | None = None


@orchestrator(blueprint)
def monitor_fine_tune(context: df.DurableOrchestrationContext) -> Steps:
    watch = MonitorInput.model_validate(context.get_input(expected_type=dict))
    for _ in range(POLLS_PER_GENERATION):
        try:
            status = unwrap(
                GET_JOB_STATUS, (yield schedule(context, GET_JOB_STATUS, JobId(job_id=watch.job_id)))
            )
        except PipelineError as failure:  # permanent, such as a job that does not exist
            return ActivityOutcome(failure=Failure.of(failure)).dump()
        except Exception as error:  # still failing after every retry: the job goes on, so keep watching
            watch = watch.model_copy(update={"last_error": short(str(error), 300)})
        else:
            if status.finished:
                return ActivityOutcome(result=status.dump()).dump()
            watch = watch.model_copy(update={"last_error": None, "last": status})
        context.set_custom_status(
            {
                "stage": "training",
                "polls": watch.polls + 1,
                "job": None
                if watch.last is None
                else {
                    "id": watch.last.id,
                    "status": watch.last.status,
                    "trained_tokens": watch.last.trained_tokens,
                },
                "progress": None if watch.last is None else watch.last.progress.dump(),
                "last_error": watch.last_error,
                "updated": iso(context),
            }
        )
        yield context.create_timer(context.current_utc_datetime + timedelta(seconds=watch.interval_seconds))
        watch = watch.model_copy(
            update={
                "polls": watch.polls + 1,
                "interval_seconds": backoff(watch.interval_seconds, watch.max_interval_seconds),
            }
        )
    context.continue_as_new(watch.dump())
    return None
