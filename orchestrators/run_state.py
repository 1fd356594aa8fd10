"""What an orchestration knows about its run while it runs: stage, custom status, the RunReport,
and the ways it waits (activities, timers, people), each raced against a cancel request.

Everything here is deterministic: times come from `context.current_utc_datetime`, and the only
ways out are activities, timers and external events.

Every helper that waits is a generator the orchestrator must drive with `yield from`. Calling one
without it would silently do nothing, so helpers are tracked: creating a new one (or ending the
run) while an earlier one was never started raises `ForgottenStep`, which fails the run loudly.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Concatenate, ParamSpec, TypeVar

import azure.durable_functions as df

from orchestrators.policies import (
    APPROVAL_EVENT,
    CANCEL_EVENT,
    JOB_CONTROL_EVENT,
    SERVICE_RETRY,
    SHORT_WAIT_CAP_SECONDS,
    backoff,
)
from tuning.failures import PipelineError, short
from tuning.handles import Activity
from tuning.payloads import (
    ActivityOutcome,
    ApprovalEvent,
    CancelEvent,
    JobStatus,
    Payload,
    RunRequest,
    event_of,
)
from tuning.reports.model import ApprovalRecord, ErrorRecord, JobRecord, RunReport, StageRecord

__all__ = [
    "ForgottenStep",
    "RunState",
    "Steps",
    "attempt_name",
    "iso",
    "orchestrator",
    "run_step",
    "schedule",
    "unwrap",
]

Steps = Generator[Any, Any, Any]
P = ParamSpec("P")
T = TypeVar("T")
Out = TypeVar("Out", bound=Payload)


class ForgottenStep(RuntimeError):
    """A wait helper was called without `yield from`, so it never ran."""


def iso(context: df.DurableOrchestrationContext) -> str:
    return str(context.current_utc_datetime.strftime("%Y-%m-%dT%H:%M:%SZ"))


def attempt_name(context: df.DurableOrchestrationContext) -> str:
    """The attempt is the orchestration's start time, e.g. 20261128T211500Z: later attempts of the
    same run never overwrite an earlier attempt's report folder."""
    return str(context.current_utc_datetime.strftime("%Y%m%dT%H%M%SZ"))


@dataclass
class _Started:
    name: str
    started: bool = False


class RunState:
    def __init__(
        self, context: df.DurableOrchestrationContext, request: RunRequest, report_folder: str
    ) -> None:
        self.context = context
        self.request = request
        self.attempt = attempt_name(context)
        # One cancel task for the whole run, raced against every wait: a second
        # wait_for_external_event would let an abandoned one swallow the event.
        self.cancel = context.wait_for_external_event(CANCEL_EVENT)
        self.stopping = False
        self.result_file: str | None = None
        self.stage = "starting"
        self._stage_started = context.current_utc_datetime
        self._helpers: list[_Started] = []
        self.extra_status: dict[str, Any] = {}
        self.report = RunReport(
            run=request.run,
            instance_id=context.instance_id,
            attempt=self.attempt,
            source=request.source,
            started=iso(context),
            report_folder=report_folder,
        )

    @property
    def run_key(self) -> str:
        """Names this attempt's Azure resources (job metadata, deployment tags)."""
        return f"{self.context.instance_id}/{self.attempt}"

    # -- progress ---------------------------------------------------------------------------------

    def enter(self, stage: str) -> None:
        self._close_stage("ok")
        self.stage = stage
        self._stage_started = self.context.current_utc_datetime
        self.report.stages.append(StageRecord(name=stage, status="running", started=iso(self.context)))
        self.publish()

    def _close_stage(self, status: Any) -> None:
        stages = self.report.stages
        if stages and stages[-1].status == "running":
            elapsed = self.context.current_utc_datetime - self._stage_started
            stages[-1].status = status
            stages[-1].finished = iso(self.context)
            stages[-1].seconds = round(elapsed.total_seconds(), 3)

    def publish(self, **extra: Any) -> None:
        """The custom status the API shows: stage, attempt, job, progress, and what was pinned."""
        self.extra_status.update(extra)
        job = self.report.job
        self.context.set_custom_status(
            {
                "stage": self.stage,
                "attempt": self.attempt,
                "job": None
                if job is None
                else {"id": job.id, "status": job.status, "trained_tokens": job.trained_tokens},
                "progress": None if job is None or job.progress is None else job.progress.dump(),
                "seen": {**self.request.seen, **self.report.inputs},
                "updated": iso(self.context),
                **self.extra_status,
            }
        )

    def track_job(self, status: JobStatus) -> None:
        job = self.report.job or JobRecord(id=status.id)
        job.status = status.status
        job.model = status.model or job.model
        job.fine_tuned_model = status.fine_tuned_model or job.fine_tuned_model
        job.trained_tokens = (
            status.trained_tokens if status.trained_tokens is not None else job.trained_tokens
        )
        job.error = status.error
        job.progress = status.progress
        self.report.job = job
        self.publish()

    def fail(self, failure: PipelineError) -> None:
        self.report.errors.append(
            ErrorRecord(
                stage=self.stage,
                code=failure.code,
                message=failure.message,
                service_code=failure.service_code,
            )
        )
        self.end(failure.status)

    def end(self, status: Any) -> None:
        self._check_helpers()
        stage_status = "ok" if status == "succeeded" else status
        self._close_stage(stage_status)
        self.report.status = status
        self.report.finished = iso(self.context)
        self.stage = status
        self.stopping = True
        self.publish()

    # -- waiting and calling ----------------------------------------------------------------------

    def track(self, steps: Steps, name: str) -> Steps:
        """Register a wait helper; it counts as run once `yield from` first drives it."""
        self._check_helpers()
        record = _Started(name)
        self._helpers.append(record)

        def driven() -> Steps:
            record.started = True
            return (yield from steps)

        return driven()

    def _check_helpers(self) -> None:
        forgotten = [h.name for h in self._helpers if not h.started]
        self._helpers = []  # started ones need no more watching; forgotten ones are reported once
        if forgotten:
            raise ForgottenStep(f"{', '.join(forgotten)} was called without `yield from`, so it never ran")

    def call(self, activity: Activity[Any, Out], request: Payload) -> Steps:
        """Call an activity with the service retry policy and return its output model.

        A cancel request that arrives meanwhile is not lost: the call finishes (its side effect
        may already have happened, and the clean-up must see it), then the run stops.
        """
        return self.track(self._call(activity, request), activity.name)

    def _call(self, activity: Activity[Any, Out], request: Payload) -> Steps:
        task = self.context.call_activity_with_retry(
            activity.name,
            SERVICE_RETRY,
            activity.input.model_validate(request).dump(),
            expected_type=ActivityOutcome,
        )
        outcome = yield from self._unless_cancelled(task, activity.name)
        return ActivityOutcome.model_validate(outcome).unwrap(activity.output)

    def call_all(self, activity: Activity[Any, Out], requests: Sequence[Payload]) -> Steps:
        """The same activity for several inputs, in parallel."""
        return self.track(self._call_all(activity, requests), activity.name)

    def _call_all(self, activity: Activity[Any, Out], requests: Sequence[Payload]) -> Steps:
        tasks = [
            self.context.call_activity_with_retry(
                activity.name,
                SERVICE_RETRY,
                activity.input.model_validate(r).dump(),
                expected_type=ActivityOutcome,
            )
            for r in requests
        ]
        outcomes = yield from self._unless_cancelled(self.context.task_all(tasks), activity.name)
        return [ActivityOutcome.model_validate(outcome).unwrap(activity.output) for outcome in outcomes]

    def _unless_cancelled(self, task: Any, what: str) -> Steps:
        if self.stopping:
            return (yield from _await(task, what))
        if self.cancel.is_completed:  # asked before this step began: do not start it
            raise PipelineError("cancelled", _reason(self.cancel.result))
        winner = yield self.context.task_any([task, self.cancel])
        if winner is self.cancel:
            self.extra_status["cancel"] = "requested; waiting for the current step to finish"
            self.publish()
            with contextlib.suppress(Exception):  # the run stops anyway; the clean-up asks Azure itself
                yield task
            raise PipelineError("cancelled", _reason(self.cancel.result))
        return (yield from _await(task, what))

    def sleep(self, seconds: float) -> Steps:
        """A durable timer that a cancel request interrupts."""
        return self.track(self._sleep(seconds), "sleep")

    def _sleep(self, seconds: float) -> Steps:
        timer = self.context.create_timer(self.context.current_utc_datetime + timedelta(seconds=seconds))
        winner = yield self.context.task_any([timer, self.cancel])
        if winner is self.cancel:
            timer.cancel()
            raise PipelineError("cancelled", _reason(self.cancel.result))

    def await_approval(self, gate: str, timeout_hours: float) -> Steps:
        """Wait for a person's decision; nobody answering in time counts as a rejection."""
        return self.track(self._await_approval(gate, timeout_hours), "await_approval")

    def _await_approval(self, gate: str, timeout_hours: float) -> Steps:
        self.enter(f"awaiting_approval:{gate}")
        approval = self.context.wait_for_external_event(APPROVAL_EVENT)
        expiry = self.context.create_timer(self.context.current_utc_datetime + timedelta(hours=timeout_hours))
        winner = yield self.context.task_any([approval, self.cancel, expiry])
        if winner is self.cancel:
            raise PipelineError("cancelled", _reason(self.cancel.result))
        if winner is expiry:
            raise PipelineError(
                "approval_timeout",
                f"nobody approved the {gate} gate within {timeout_hours:g} hours (FT_APPROVAL_TIMEOUT_HOURS)",
            )
        expiry.cancel()
        decision = event_of(ApprovalEvent, approval.result) or ApprovalEvent(
            approved=False, comment="malformed"
        )
        record = ApprovalRecord(
            gate=gate,
            approved=decision.approved,
            by=decision.by,
            comment=decision.comment,
            at=iso(self.context),
        )
        self.report.approvals.append(record)
        if not record.approved:
            comment = f": {record.comment}" if record.comment else ""
            raise PipelineError("approval_rejected", f"the {gate} gate was rejected{comment}")

    def job_control(self) -> Any:
        """A fresh wait for the next pause/resume request (one at a time, so none is swallowed)."""
        return self.context.wait_for_external_event(JOB_CONTROL_EVENT)


def schedule(context: df.DurableOrchestrationContext, activity: Activity[Any, Any], request: Payload) -> Any:
    """The durable task of one activity call, with the service retry policy and typed decoding."""
    payload = activity.input.model_validate(request).dump()
    return context.call_activity_with_retry(
        activity.name, SERVICE_RETRY, payload, expected_type=ActivityOutcome
    )


def unwrap(activity: Activity[Any, Out], outcome: Any) -> Out:
    """An activity's answer as its output model; a permanent failure raises as its PipelineError."""
    return ActivityOutcome.model_validate(outcome).unwrap(activity.output)


def orchestrator(blueprint: df.Blueprint) -> Callable[[Callable[P, Steps]], Callable[P, Steps]]:
    """`blueprint.orchestration_trigger(context_name="context")`, typed: the SDK ships no type
    information, and the workflow code is type-checked strictly."""
    decorator: Callable[[Callable[P, Steps]], Callable[P, Steps]] = blueprint.orchestration_trigger(
        context_name="context"
    )
    return decorator


def run_step(
    function: Callable[Concatenate[RunState, P], Steps],
) -> Callable[Concatenate[RunState, P], Steps]:
    """Mark a generator function of the workflow as a wait helper (see RunState.track)."""

    @functools.wraps(function)
    def tracked(run: RunState, *args: P.args, **kwargs: P.kwargs) -> Steps:
        return run.track(function(run, *args, **kwargs), function.__name__)

    return tracked


def _await(task: Any, what: str) -> Steps:
    """Yield a task; an activity still failing after every retry becomes `service_unavailable`."""
    try:
        return (yield task)
    except Exception as error:  # the SDK raises a plain Exception carrying the last failure
        raise PipelineError("service_unavailable", f"{what} kept failing: {short(str(error), 300)}") from None


def _reason(event: Any) -> str:
    cancel = event_of(CancelEvent, event)
    return f"cancelled on request: {cancel.reason}" if cancel and cancel.reason else "cancelled on request"


@run_step
def poll(
    run: RunState,
    check: Callable[[], Steps],
    *,
    attempts: int,
    interval: float,
    give_up: PipelineError,
) -> Steps:
    """Ask `check` until it answers done, with growing durable timers between the questions; a
    check answers (done, value)."""
    for _ in range(attempts):
        done, value = yield from check()
        if done:
            return value
        yield from run.sleep(interval)
        interval = backoff(interval, SHORT_WAIT_CAP_SECONDS)
    raise give_up
