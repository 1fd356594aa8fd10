"""The real orchestrator functions through the azure-functions-durable replay path.

The dev host's engine (local.host.durable) feeds the registered orchestrators the context JSON
the Functions host sends and applies the actions they return, on virtual time. Activities are
scripted by `FakeAzure`, a small model of the services, so each scenario decides what Azure
answers and the tests check what the orchestration does about it.
"""

from __future__ import annotations

from typing import Any

import pytest

import function_app
from local.host.durable.testing import OrchestrationHarness, ScriptedEvent
from orchestrators.pipeline import PIPELINE
from orchestrators.policies import POLLS_PER_GENERATION
from tuning.options import RunOptions, merge_options
from tuning.settings import load_settings

INSTANCE = "ft-demo"
SETTINGS = load_settings(
    {
        "AzureWebJobsStorage": "UseDevelopmentStorage=true",
        "FT_POLL_MIN_SECONDS": "30",
        "FT_POLL_MAX_SECONDS": "600",
        "FT_JOB_TIMEOUT_HOURS": "72",
    }
)
REQUEST = {"run": "demo", "source": "blob", "settle_seconds": 10}


def ok(result: Any) -> dict:
    return {"result": result, "failure": None}


def failed(code: str, message: str) -> dict:
    return {"result": None, "failure": {"code": code, "message": message}}


class FakeAzure:
    """What Azure answers, scenario by scenario; it counts what the orchestration asked for."""

    def __init__(
        self,
        *,
        options: dict | None = None,
        valid: bool = True,
        cost: float | None = 10.0,
        job_polls: int = 3,
        job_outcome: str = "succeeded",
        deployment_polls: int = 2,
        not_ready_answers: int = 0,
        timeout_hours: float = 72,
    ) -> None:
        self.options = merge_options(SETTINGS, "demo", RunOptions.model_validate(options or {})).model_copy(
            update={"job_timeout_hours": timeout_hours}
        )
        self.valid = valid
        self.cost = cost
        self.job_polls = job_polls
        self.job_outcome = job_outcome
        self.deployment_polls = deployment_polls
        self.not_ready_answers = not_ready_answers
        self.polls = 0
        self.cancelled = False
        self.reports: list[dict] = []

    def activities(self) -> dict:
        return {
            name: getattr(self, name)
            for name in (
                "resolve_run",
                "validate_dataset",
                "upload_file",
                "get_file_status",
                "submit_fine_tune",
                "get_job_status",
                "cancel_job",
                "list_checkpoints",
                "deploy_model",
                "get_deployment_status",
                "smoke_test",
                "write_report",
            )
        }

    def resolve_run(self, payload):
        datasets = [
            {"kind": kind, "path": f"incoming/demo/{kind}.jsonl", "sha256": kind[0] * 64, "size": 100}
            for kind in ("training", "validation")
        ]
        return ok(
            {
                "run": "demo",
                "attempt": payload["attempt"],
                "report_folder": f"runs/demo/{payload['attempt']}/",
                "datasets": datasets,
                "options": self.options.model_dump(mode="json"),
                "price_per_1m_tokens": 25.0,
            }
        )

    def validate_dataset(self, payload):
        kind = payload["dataset"]["kind"]
        errors = [] if self.valid else [{"line": 3, "code": "invalid_json", "message": "line 3: not JSON"}]
        return ok(
            {
                "file": payload["dataset"]["path"],
                "kind": kind,
                "valid": self.valid,
                "format": "chat",
                "examples": 10,
                "model": payload["model"],
                "encoding": "o200k_base",
                "error_count": len(errors),
                "warning_count": 0,
                "errors": errors,
                "errors_by_code": {e["code"]: 1 for e in errors},
                "warnings_by_code": {},
                "tokens": {"total": {"sum": 1000}, "assistant": {"sum": 300}},
                "estimate": {
                    "epochs": 10,
                    "billed_tokens": 10000,
                    "context_limit": 65536,
                    "cost_usd": self.cost,
                },
                "report_blob": f"{payload['report_folder']}validation-{kind}.json",
            }
        )

    def upload_file(self, payload):
        kind = payload["dataset"]["kind"]
        return ok(
            {"kind": kind, "id": f"file-{kind}", "filename": "x.jsonl", "status": "pending", "reused": False}
        )

    def get_file_status(self, file_id):
        return ok({"id": file_id, "status": "processed", "error": None})

    def submit_fine_tune(self, payload):
        return ok({"id": "ftjob-1", "reused": False})

    def _job(self, status: str) -> dict:
        done = status == "succeeded"
        return {
            "id": "ftjob-1",
            "status": status,
            "model": "gpt-4o-2024-08-06",
            "fine_tuned_model": "gpt-4o-2024-08-06.ft-1" if done else None,
            "trained_tokens": 30000 if done else None,
            "result_files": ["file-results"] if done else [],
            "error": {"code": "invalid_training_data", "message": "boom"} if status == "failed" else None,
            "progress": {"step": self.polls, "train_loss": 1.0 / (1 + self.polls), "valid_loss": None},
        }

    def get_job_status(self, job_id):
        self.polls += 1
        if self.cancelled:
            return ok(self._job("cancelled"))
        return ok(self._job(self.job_outcome if self.polls >= self.job_polls else "running"))

    def cancel_job(self, job_id):
        self.cancelled = True
        return ok(self._job("cancelled"))

    def list_checkpoints(self, job_id):
        return ok(
            {
                "model": "gpt-4o-2024-08-06.ft-1:ckpt-step-20",
                "step": 20,
                "valid_loss": 0.4,
                "train_loss": 0.5,
                "reason": "lowest validation loss among 3 checkpoints: step 20",
            }
        )

    def deploy_model(self, payload):
        self.deployed = payload
        return ok({"name": payload["name"], "model": payload["model"], "provisioning_state": "Creating"})

    def get_deployment_status(self, name):
        self.deployment_polls -= 1
        state = "Succeeded" if self.deployment_polls <= 0 else "Creating"
        return ok({"name": name, "model": self.deployed["model"], "provisioning_state": state})

    def smoke_test(self, payload):
        if self.not_ready_answers > 0:
            self.not_ready_answers -= 1
            return ok({"ok": False, "retryable": True, "code": "DeploymentNotReady"})
        return ok(
            {
                "ok": True,
                "answer": "Yes, with customer-managed keys.",
                "latency_ms": 12.5,
                "usage": {"prompt_tokens": 20, "completion_tokens": 8, "total_tokens": 28},
            }
        )

    def write_report(self, payload):
        self.reports.append(payload["report"])
        folder = payload["report_folder"]
        return ok(
            {
                "artifacts": {name: folder + name for name in ("report.json", "report.md", "loss.svg")},
                "container": "fine-tuning",
            }
        )


def run(fake: FakeAzure, events=(), request=None):
    harness = OrchestrationHarness(function_app.app, fake.activities())
    result = harness.run(PIPELINE, request or REQUEST, instance_id=INSTANCE, events=events)
    return harness, result


def stage_is(stage: str):
    return lambda status: (status.get("customStatus") or {}).get("stage") == stage


def called(result, name: str) -> int:
    return len(result.calls(name))


def test_happy_path_trains_deploys_smoke_tests_and_reports():
    fake = FakeAzure()
    _, result = run(fake)
    assert result.runtime_status == "Completed"
    assert result.output["status"] == "succeeded"
    names = [call.name for call in result.activity_calls]
    assert names[:3] == ["resolve_run", "validate_dataset", "validate_dataset"]
    assert names[-1] == "write_report"
    assert names.index("submit_fine_tune") < names.index("deploy_model") < names.index("smoke_test")
    report = fake.reports[-1]
    assert [s["name"] for s in report["stages"]] == [
        "collecting",
        "resolving",
        "validating",
        "uploading",
        "submitting",
        "training",
        "choosing_model",
        "deploying",
        "smoke_testing",
    ]
    assert report["stages"][0]["seconds"] == 10  # the settle window, on the orchestration clock
    assert report["model_choice"]["strategy"] == "final"
    assert fake.deployed["model"] == "gpt-4o-2024-08-06.ft-1"
    assert report["smoke_test"]["answer"].startswith("Yes") and report["smoke_test"]["attempts"] == 1
    assert result.custom_status["stage"] == "succeeded" and result.custom_status["report"].startswith(
        "runs/demo/"
    )
    stages = [status["stage"] for status in result.custom_statuses]
    assert stages.index("validating") < stages.index("training") < stages.index("deploying")


def test_invalid_data_stops_before_any_upload_and_still_reports():
    fake = FakeAzure(valid=False)
    _, result = run(fake)
    assert result.output["status"] == "failed"
    assert called(result, "upload_file") == 0 and called(result, "submit_fine_tune") == 0
    assert result.output["errors"][0]["code"] == "invalid_data"
    assert "incoming/demo/training.jsonl: 1 error(s) (invalid_json)" in result.output["errors"][0]["message"]
    assert fake.reports[-1]["validation"]["training"]["errors"][0]["line"] == 3


def test_cost_ceiling_refuses_the_run_before_upload():
    fake = FakeAzure(options={"max_cost_usd": 5.0}, cost=12.5)
    _, result = run(fake)
    assert result.output["errors"][0]["code"] == "cost_ceiling_exceeded"
    assert "$12.50" in result.output["errors"][0]["message"]
    assert called(result, "upload_file") == 0


def test_an_unknown_cost_under_a_ceiling_is_refused_too():
    _, result = run(FakeAzure(options={"max_cost_usd": 5.0}, cost=None))
    assert result.output["errors"][0]["code"] == "cost_unknown"


def test_a_failed_job_ends_the_run_without_deploying():
    fake = FakeAzure(job_outcome="failed")
    _, result = run(fake)
    assert result.output["status"] == "failed"
    assert result.output["errors"][0]["code"] == "invalid_training_data"
    assert called(result, "deploy_model") == 0
    assert fake.reports[-1]["job"]["status"] == "failed"


def test_cancel_during_training_cancels_the_azure_job():
    fake = FakeAzure(job_polls=1000)
    _, result = run(
        fake, events=[ScriptedEvent("cancel", {"reason": "wrong data"}, when=stage_is("training"))]
    )
    assert result.output["status"] == "cancelled"
    assert called(result, "cancel_job") == 1 and called(result, "deploy_model") == 0
    assert fake.reports[-1]["job"]["status"] == "cancelled"
    assert result.runtime_status == "Completed"


def test_cancel_while_collecting_starts_nothing():
    fake = FakeAzure()
    _, result = run(fake, events=[ScriptedEvent("cancel", {}, when=stage_is("collecting"))])
    assert result.output["status"] == "cancelled"
    assert called(result, "resolve_run") == 0 and called(result, "cancel_job") == 0
    assert called(result, "write_report") == 1


def test_deadline_cancels_an_overdue_job():
    fake = FakeAzure(job_polls=10**6, timeout_hours=3)
    _, result = run(fake)
    assert result.output["errors"][0]["code"] == "deadline_exceeded"
    assert called(result, "cancel_job") == 1 and called(result, "deploy_model") == 0
    polls = result.calls("get_job_status")
    gaps = [(later.at - earlier.at).total_seconds() for earlier, later in zip(polls, polls[1:])]
    assert gaps[:5] == [30, 60, 120, 240, 480] and max(gaps) == 600  # backoff from min to max
    cancelled_at = result.calls("cancel_job")[0].at
    assert 2.99 <= (cancelled_at - polls[0].at).total_seconds() / 3600 <= 3.0


@pytest.mark.parametrize("gate", ["training", "deployment"])
def test_approval_granted_lets_the_run_go_on(gate):
    fake = FakeAzure(options={"approval": gate})
    _, result = run(
        fake,
        events=[
            ScriptedEvent(
                "approval", {"approved": True, "by": "ana"}, when=stage_is(f"awaiting_approval:{gate}")
            )
        ],
    )
    assert result.output["status"] == "succeeded"
    assert fake.reports[-1]["approvals"] == [
        {
            "gate": gate,
            "approved": True,
            "by": "ana",
            "comment": None,
            "at": fake.reports[-1]["approvals"][0]["at"],
        }
    ]


def test_approval_rejected_stops_before_spending():
    fake = FakeAzure(options={"approval": "training"})
    _, result = run(
        fake,
        events=[
            ScriptedEvent(
                "approval",
                {"approved": False, "comment": "too big"},
                when=stage_is("awaiting_approval:training"),
            )
        ],
    )
    assert result.output["status"] == "rejected"
    assert "too big" in result.output["errors"][0]["message"]
    assert called(result, "upload_file") == 0


def test_an_unanswered_approval_gate_expires_as_a_rejection():
    fake = FakeAzure(options={"approval": "deployment"})
    _, result = run(fake)
    assert result.output["status"] == "rejected"
    assert result.output["errors"][0]["code"] == "approval_timeout"
    assert called(result, "deploy_model") == 0
    waited = result.calls("write_report")[0].at - result.calls("get_job_status")[-1].at
    assert waited.total_seconds() >= 168 * 3600


def test_best_checkpoint_is_deployed_with_its_reason():
    fake = FakeAzure(options={"model_choice": "best_checkpoint"})
    run(fake)
    assert fake.deployed["model"] == "gpt-4o-2024-08-06.ft-1:ckpt-step-20"
    choice = fake.reports[-1]["model_choice"]
    assert choice["strategy"] == "best_checkpoint" and "lowest validation loss" in choice["reason"]


def test_smoke_test_is_retried_with_timers_after_deployment_not_ready():
    fake = FakeAzure(not_ready_answers=2)
    _, result = run(fake)
    assert result.output["status"] == "succeeded"
    attempts = result.calls("smoke_test")
    assert len(attempts) == 3 and attempts[1].at > attempts[0].at  # a durable timer between attempts
    assert fake.reports[-1]["smoke_test"]["attempts"] == 3


def test_replaying_the_same_history_gives_the_same_actions():
    harness, result = run(FakeAzure())
    first = harness.replay(PIPELINE, result.history)
    assert first and first == harness.replay(PIPELINE, result.history)


def test_monitor_history_stays_bounded_on_a_long_job():
    fake = FakeAzure(job_polls=200)
    harness, result = run(fake)
    assert result.output["status"] == "succeeded"
    assert called(result, "get_job_status") == 200
    monitors = [instance for instance in result.instances if ":monitor:" in instance]
    assert len(monitors) == 1
    assert len(result.history) < 120  # the parent's history does not grow with the polls
    # one generation at most: 8 events per poll (scheduled, completed, timer created, fired, 2 episodes)
    assert len(harness.store.history(monitors[0])) <= 8 * POLLS_PER_GENERATION + 8


def test_a_status_outage_during_training_does_not_end_the_run():
    fake = FakeAzure(job_polls=12)
    answer = fake.get_job_status

    def flaky(job_id):
        if 3 <= fake.polls < 9:  # every attempt of two polls fails, retries included
            fake.polls += 1
            raise ConnectionError("service unavailable")
        return answer(job_id)

    fake.get_job_status = flaky
    _, result = run(fake)
    assert result.output["status"] == "succeeded"
    failures = [call for call in result.calls("get_job_status") if call.error]
    assert len(failures) >= 5  # the durable retry policy ran out at least once, and the monitor went on
