"""What an orchestration knows about its run while it runs: stages, custom status, report.

Everything here is deterministic: times come from `context.current_utc_datetime`, and the only
way out is through activities, timers and external events.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import timedelta
from typing import Any

import azure.durable_functions as df

from orchestrators.policies import APPROVAL_EVENT, CANCEL_EVENT, SERVICE_RETRY
from tuning.paths import attempt_name, report_folder
from tuning.payloads import RunRequest

Steps = Generator[Any, Any, Any]


class StageFailed(Exception):
    """The run cannot go on; `code` is stable, `message` is for people."""

    def __init__(self, code: str, message: str, status: str = "failed") -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


class Cancelled(StageFailed):
    def __init__(self, message: str) -> None:
        super().__init__("cancelled", message, status="cancelled")


def iso(context: df.DurableOrchestrationContext) -> str:
    return context.current_utc_datetime.strftime("%Y-%m-%dT%H:%M:%SZ")


class RunState:
    def __init__(self, context: df.DurableOrchestrationContext, request: RunRequest) -> None:
        self.context = context
        self.request = request
        self.attempt = attempt_name(context.current_utc_datetime)
        # One cancel task for the whole run, raced against every wait: a second
        # wait_for_external_event would let an abandoned one swallow the event.
        self.cancel = context.wait_for_external_event(CANCEL_EVENT)
        self.stage = "starting"
        self._stage_started = context.current_utc_datetime
        self.job: dict[str, Any] = {"id": None, "status": None, "trained_tokens": None}
        self.progress: dict[str, Any] = {"step": None, "train_loss": None, "valid_loss": None}
        self.report: dict[str, Any] = {
            "run": request.run,
            "instance_id": context.instance_id,
            "attempt": self.attempt,
            "source": request.source,
            "status": "running",
            "started": iso(context),
            "finished": None,
            "report_folder": report_folder(request.run, self.attempt),
            "stages": [],
            "errors": [],
        }

    # -- progress -------------------------------------------------------------------------

    def enter(self, stage: str) -> None:
        self._close_stage("ok")
        self.stage = stage
        self._stage_started = self.context.current_utc_datetime
        self.report["stages"].append({"name": stage, "status": "running", "started": iso(self.context)})
        self.publish()

    def _close_stage(self, status: str) -> None:
        stages = self.report["stages"]
        if stages and stages[-1]["status"] == "running":
            last = stages[-1]
            elapsed = self.context.current_utc_datetime - self._stage_started
            last.update(status=status, finished=iso(self.context), seconds=round(elapsed.total_seconds(), 3))

    def publish(self, **extra: Any) -> None:
        self.context.set_custom_status(
            {
                "stage": self.stage,
                "attempt": self.attempt,
                "job": self.job,
                "progress": self.progress,
                "updated": iso(self.context),
                **extra,
            }
        )

    def track_job(self, status: dict[str, Any]) -> None:
        self.job = {
            "id": status["id"],
            "status": status["status"],
            "trained_tokens": status.get("trained_tokens"),
        }
        self.progress = dict(status.get("progress") or self.progress)

    def end(self, status: str, failure: StageFailed | None = None) -> None:
        self._close_stage("ok" if failure is None else failure.status)
        if failure is not None:
            self.report["errors"].append(
                {"stage": self.stage, "code": failure.code, "message": failure.message}
            )
        self.report.update(status=status, finished=iso(self.context))
        self.stage = status
        self.publish()

    # -- waiting and calling --------------------------------------------------------------

    def call(self, activity: str, payload: Any) -> Steps:
        """Call an activity with the service retry policy; a `failure` answer ends the stage."""
        outcome = yield self.context.call_activity_with_retry(activity, SERVICE_RETRY, payload)
        return _result(outcome)

    def call_all(self, activity: str, payloads: list[Any]) -> Steps:
        """The same activity for several inputs, in parallel."""
        tasks = [self.context.call_activity_with_retry(activity, SERVICE_RETRY, p) for p in payloads]
        outcomes = yield self.context.task_all(tasks)
        return [_result(outcome) for outcome in outcomes]

    def sleep(self, seconds: float) -> Steps:
        """A durable timer that a cancel request interrupts."""
        timer = self.context.create_timer(self.context.current_utc_datetime + timedelta(seconds=seconds))
        winner = yield self.context.task_any([timer, self.cancel])
        if winner is self.cancel:
            raise Cancelled(_reason(self.cancel.result))

    def await_approval(self, gate: str, timeout_hours: float) -> Steps:
        """Wait for a person's decision; nobody answering in time counts as a rejection."""
        self.enter(f"awaiting_approval:{gate}")
        approval = self.context.wait_for_external_event(APPROVAL_EVENT)
        expiry = self.context.create_timer(self.context.current_utc_datetime + timedelta(hours=timeout_hours))
        winner = yield self.context.task_any([approval, self.cancel, expiry])
        if winner is self.cancel:
            raise Cancelled(_reason(self.cancel.result))
        if winner is expiry:
            raise StageFailed(
                "approval_timeout",
                f"nobody approved the {gate} gate within {timeout_hours:g} hours (FT_APPROVAL_TIMEOUT_HOURS)",
                status="rejected",
            )
        expiry.cancel()
        decision = approval.result if isinstance(approval.result, dict) else {}
        record = {
            "gate": gate,
            "approved": decision.get("approved") is True,
            "by": decision.get("by"),
            "comment": decision.get("comment"),
            "at": iso(self.context),
        }
        self.report.setdefault("approvals", []).append(record)
        if not record["approved"]:
            raise StageFailed(
                "approval_rejected",
                f"the {gate} gate was rejected" + (f": {record['comment']}" if record["comment"] else ""),
                status="rejected",
            )


def _result(outcome: dict[str, Any]) -> Any:
    failure = outcome.get("failure")
    if failure:
        raise StageFailed(failure["code"], failure["message"])
    return outcome["result"]


def _reason(event: Any) -> str:
    if isinstance(event, dict) and event.get("reason"):
        return f"cancelled on request: {event['reason']}"
    return "cancelled on request"
