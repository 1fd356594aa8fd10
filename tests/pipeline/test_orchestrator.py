"""The real orchestrator functions through the azure-functions-durable replay path.

The dev host's engine (local.host.durable) feeds the registered orchestrators the context JSON the
Functions host sends and applies the actions they return, on virtual time. Activities are scripted
by `FakeAzure` (typed by the activity handles), so each scenario decides what Azure answers and the
tests check what the orchestration does about it.
"""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise
from typing import Any

import pytest
from azure.durable_functions.models.actions.ActionType import ActionType
from azure.durable_functions.models.history import HistoryEventType

import function_app
from local.host.durable.testing import HarnessResult, OrchestrationHarness, ScriptedEvent
from orchestrators.pipeline import PIPELINE
from orchestrators.policies import POLLS_PER_GENERATION
from tests.pipeline.fake_azure import FINE_TUNED, FakeAzure, settings
from tuning.payloads import DeploymentStatus
from tuning.reports.model import RunReport

INSTANCE = "ft-demo"
REQUEST = {"run": "demo", "source": "blob", "settle_seconds": 10}


def run(
    fake: FakeAzure, events: list[ScriptedEvent] | None = None
) -> tuple[OrchestrationHarness, HarnessResult]:
    harness = OrchestrationHarness(function_app.app, fake.activities())
    result = harness.run(PIPELINE, REQUEST, instance_id=INSTANCE, events=events or [])
    return harness, result


def stage_is(stage: str) -> Any:
    return lambda status: (status.get("customStatus") or {}).get("stage") == stage


def called(result: HarnessResult, name: str) -> int:
    return len(result.calls(name))


def report_of(fake: FakeAzure) -> RunReport:
    assert fake.reports, "the run wrote no report"
    return fake.reports[-1]


def test_happy_path_trains_deploys_smoke_tests_and_reports() -> None:
    fake = FakeAzure()
    _, result = run(fake)
    assert result.runtime_status == "Completed"
    assert result.output["status"] == "succeeded"
    names = [call.name for call in result.activity_calls]
    assert names[:2] == ["resolve_run", "validate_datasets"]
    assert names[-2:] == ["release_resources", "write_report"]
    assert names.index("submit_job") < names.index("deploy_model") < names.index("smoke_test")
    report = report_of(fake)
    assert [s.name for s in report.stages] == [
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
    assert all(s.status == "ok" for s in report.stages)
    assert report.stages[0].seconds == 10  # the settle window, on the orchestration clock
    assert report.model_choice is not None and report.model_choice.strategy == "final"
    assert fake.deployment is not None and fake.deployment.model == FINE_TUNED
    assert report.smoke_test is not None and report.smoke_test.attempts == 1
    assert report.deployment is not None and report.deployment.created and not report.deployment.removed
    assert fake.released[-1].keep_production is True
    assert report.inputs == {
        "incoming/demo/training.jsonl": "0xtraining",
        "incoming/demo/validation.jsonl": "0xvalidation",
    }
    assert result.output["seen"] == report.inputs  # the blob trigger's duplicate check reads these
    assert result.custom_status["stage"] == "succeeded"
    stages = [status["stage"] for status in result.custom_statuses]
    assert stages.index("validating") < stages.index("training") < stages.index("deploying")


def scheduled_activities(actions: list[Any]) -> list[str]:
    """Activity names in the order the orchestrator asked for them, compound actions flattened."""
    names: list[str] = []
    for action in actions:
        if isinstance(action, list):
            names += scheduled_activities(action)
        elif action["actionType"] in (ActionType.WHEN_ANY, ActionType.WHEN_ALL):
            names += scheduled_activities(action["compoundActions"])
        elif action["actionType"] in (ActionType.CALL_ACTIVITY, ActionType.CALL_ACTIVITY_WITH_RETRY):
            names.append(action["functionName"])
    return names


def test_replaying_the_recorded_history_asks_for_exactly_what_was_recorded() -> None:
    """Determinism: the actions a replay returns are the ones the history recorded, in order."""
    harness, result = run(FakeAzure())
    recorded = [e["Name"] for e in result.history if e["EventType"] == HistoryEventType.TASK_SCHEDULED]
    replayed = scheduled_activities(harness.replay(PIPELINE, result.history, REQUEST, INSTANCE))
    assert replayed == recorded
    assert recorded[0] == "resolve_run" and recorded[-1] == "write_report"


def test_invalid_data_stops_before_any_upload_and_still_reports() -> None:
    fake = FakeAzure(valid=False)
    _, result = run(fake)
    assert result.output["status"] == "failed"
    assert called(result, "upload_file") == 0 and called(result, "submit_job") == 0
    assert called(result, "release_resources") == 0  # nothing reached Azure
    error = result.output["errors"][0]
    assert error["code"] == "invalid_data" and error["stage"] == "validating"
    assert "incoming/demo/training.jsonl: 1 error(s) (invalid_json)" in error["message"]
    assert report_of(fake).validation["training"].errors[0].line == 3


@pytest.mark.parametrize(
    ("operator", "asked", "cost", "code"),
    [
        ("5", None, 12.5, "cost_ceiling_exceeded"),
        ("5", 1e300, 12.5, "cost_ceiling_exceeded"),  # a run cannot raise the operator's ceiling
        (None, 5.0, 12.5, "cost_ceiling_exceeded"),
        ("5", None, None, "cost_unknown"),
    ],
)
def test_the_cost_ceiling_refuses_the_run_before_upload(
    operator: str | None, asked: float | None, cost: float | None, code: str
) -> None:
    app_settings = settings(FT_MAX_COST_USD=operator) if operator else settings()
    fake = FakeAzure(app_settings=app_settings, options={"max_cost_usd": asked} if asked else {}, cost=cost)
    _, result = run(fake)
    assert result.output["errors"][0]["code"] == code
    assert called(result, "upload_file") == 0


def test_a_failed_job_ends_the_run_with_the_service_code_and_deploys_nothing() -> None:
    fake = FakeAzure(job_outcome="failed")
    _, result = run(fake)
    assert result.output["status"] == "failed"
    error = result.output["errors"][0]
    assert (error["code"], error["service_code"], error["message"]) == (
        "job_failed",
        "invalid_training_data",
        "boom",
    )
    assert called(result, "deploy_model") == 0
    assert report_of(fake).job is not None and report_of(fake).job.status == "failed"  # type: ignore[union-attr]


def test_cancel_during_training_cancels_the_azure_job_and_reports() -> None:
    fake = FakeAzure(job_polls=1000)
    _, result = run(fake, [ScriptedEvent("cancel", {"reason": "wrong data"}, when=stage_is("training"))])
    assert result.output["status"] == "cancelled"
    assert result.output["errors"][0]["message"] == "cancelled on request during training"
    assert fake.job_state == "cancelled" and called(result, "deploy_model") == 0
    report = report_of(fake)
    assert report.job is not None and report.job.status == "cancelled"
    assert "cancelled fine-tuning job ftjob-1" in report.cleanup
    assert result.runtime_status == "Completed"


@pytest.mark.parametrize("stage", ["submitting", "smoke_testing"])
def test_a_cancel_sent_during_a_long_activity_is_not_dropped(stage: str) -> None:
    """The cancel arrives while the activity runs; the run must end cancelled, not succeeded, and
    what the activity started (the job; the deployment) is released."""
    fake = FakeAzure()
    _, result = run(fake, [ScriptedEvent("cancel", {"reason": "stop"}, when=stage_is(stage))])
    assert result.output["status"] == "cancelled"
    assert result.output["errors"][0]["stage"] == stage
    assert fake.released and fake.released[-1].keep_production is False
    if stage == "submitting":  # the job whose submit answer the run never used is cancelled
        assert fake.job_state == "cancelled"
    else:
        assert fake.deployment is None and report_of(fake).deployment.removed  # type: ignore[union-attr]


def test_a_cancel_during_deployment_removes_the_deployment_the_run_created() -> None:
    fake = FakeAzure(deployment_polls=5)
    provisioning = lambda status: stage_is("deploying")(status) and fake.deployment is not None  # noqa: E731
    _, result = run(fake, [ScriptedEvent("cancel", {}, when=provisioning)])
    assert result.output["status"] == "cancelled"
    assert called(result, "deploy_model") == 1
    assert fake.deployment is None
    report = report_of(fake)
    assert report.deployment is not None and report.deployment.removed
    assert "deleted deployment ft-demo" in report.cleanup


def test_cancel_while_collecting_starts_nothing() -> None:
    fake = FakeAzure()
    _, result = run(fake, [ScriptedEvent("cancel", {}, when=stage_is("collecting"))])
    assert result.output["status"] == "cancelled"
    assert called(result, "resolve_run") == 0 and called(result, "release_resources") == 0
    assert called(result, "write_report") == 1


def test_the_deadline_cancels_an_overdue_job() -> None:
    fake = FakeAzure(job_polls=10**6, app_settings=settings(FT_JOB_TIMEOUT_HOURS="3"))
    _, result = run(fake)
    assert result.output["errors"][0]["code"] == "deadline_exceeded"
    assert fake.job_state == "cancelled" and called(result, "deploy_model") == 0
    polls = result.calls("get_job_status")
    gaps = [(later.at - earlier.at).total_seconds() for earlier, later in pairwise(polls)]
    assert gaps[:5] == [30, 60, 120, 240, 480] and max(gaps) == 600  # backoff from min to max
    released_at = result.calls("release_resources")[0].at
    assert timedelta(hours=2.99) <= released_at - polls[0].at <= timedelta(hours=3)


def test_the_monitor_restarts_itself_to_keep_its_history_bounded() -> None:
    polls = POLLS_PER_GENERATION * 2 + 3
    fake = FakeAzure(job_polls=polls)
    _, result = run(fake)
    assert result.output["status"] == "succeeded"
    monitors = [i for i in result.instances if ":monitor:" in i]
    assert len(monitors) == 1
    assert called(result, "get_job_status") == polls


@pytest.mark.parametrize("gate", ["training", "deployment"])
def test_an_approved_gate_lets_the_run_go_on(gate: str) -> None:
    fake = FakeAzure(options={"approval": gate})
    _, result = run(
        fake,
        [
            ScriptedEvent(
                "approval", {"approved": True, "by": "ana"}, when=stage_is(f"awaiting_approval:{gate}")
            )
        ],
    )
    assert result.output["status"] == "succeeded"
    approvals = report_of(fake).approvals
    assert [(a.gate, a.approved, a.by) for a in approvals] == [(gate, True, "ana")]


def test_a_run_cannot_drop_the_operators_approval_gate() -> None:
    fake = FakeAzure(app_settings=settings(FT_REQUIRE_APPROVAL="training"), options={"approval": "none"})
    _, result = run(
        fake,
        [
            ScriptedEvent(
                "approval", {"approved": False, "comment": "no"}, when=stage_is("awaiting_approval:training")
            )
        ],
    )
    assert result.output["status"] == "rejected"
    assert result.output["errors"][0]["code"] == "approval_rejected"
    assert called(result, "upload_file") == 0


def test_an_unanswered_gate_expires_as_a_rejection() -> None:
    fake = FakeAzure(options={"approval": "training"}, app_settings=settings(FT_APPROVAL_TIMEOUT_HOURS="2"))
    _, result = run(fake)
    assert result.output["status"] == "rejected"
    assert result.output["errors"][0]["code"] == "approval_timeout"


def test_pause_and_resume_reach_the_job_and_the_report() -> None:
    fake = FakeAzure(job_polls=12)
    events = [
        ScriptedEvent(
            "job_control",
            {"action": "pause", "by": "ana"},
            when=lambda s: stage_is("training")(s) and fake.polls >= 2,
        ),
        ScriptedEvent(
            "job_control", {"action": "resume"}, when=lambda s: fake.job_state == "paused" and fake.polls >= 4
        ),
    ]
    _, result = run(fake, events)
    assert result.output["status"] == "succeeded"
    controls = report_of(fake).job.controls  # type: ignore[union-attr]
    assert [(c.action, c.status, c.by) for c in controls] == [
        ("pause", "paused", "ana"),
        ("resume", "running", None),
    ]
    assert [c.input["action"] for c in result.calls("control_job")] == ["pause", "resume"]


def test_the_best_checkpoint_is_the_lowest_validation_loss() -> None:
    fake = FakeAzure(options={"model_choice": "best_checkpoint"})
    run(fake)
    choice = report_of(fake).model_choice
    assert choice is not None and choice.step == 20 and choice.model.endswith(":ckpt-step-20")
    assert fake.deployment is not None and fake.deployment.model == choice.model


def test_deployment_not_ready_is_asked_again_after_durable_timers() -> None:
    fake = FakeAzure(not_ready_answers=3)
    _, result = run(fake)
    assert result.output["status"] == "succeeded"
    assert called(result, "smoke_test") == 4
    assert report_of(fake).smoke_test.attempts == 4  # type: ignore[union-attr]


def test_a_deployment_someone_else_created_is_never_touched() -> None:
    theirs = DeploymentStatus(
        name="ft-demo", exists=True, model="gpt-4o", provisioning_state="Succeeded", managed=False
    )
    fake = FakeAzure(existing_deployment=theirs)
    _, result = run(fake)
    assert result.output["errors"][0]["code"] == "deployment_not_managed"
    assert called(result, "deploy_model") == 0 and fake.deployment == theirs


def test_a_promotion_over_an_earlier_model_records_the_model_it_replaced() -> None:
    ours = DeploymentStatus(
        name="ft-demo",
        exists=True,
        model="gpt-4o-2024-08-06.ft-0",
        provisioning_state="Succeeded",
        managed=True,
    )
    fake = FakeAzure(existing_deployment=ours)
    _, result = run(fake)
    assert result.output["status"] == "succeeded"
    deployment = report_of(fake).deployment
    assert deployment is not None and not deployment.created
    assert deployment.replaced_model == "gpt-4o-2024-08-06.ft-0"
    assert result.calls("deploy_model")[0].input["replaces"] == "gpt-4o-2024-08-06.ft-0"


# -- the quality gate (issue 11) ---------------------------------------------------------------

GATE = {"evaluation": {"baseline_deployment": "gpt-4o", "candidates": "final_and_best_checkpoint"}}


def test_a_candidate_better_than_the_baseline_is_promoted() -> None:
    fake = FakeAzure(options=GATE, candidate_quality=1.0)
    _, result = run(fake)
    assert result.output["status"] == "succeeded"
    report = report_of(fake)
    assert [s.name for s in report.stages][-4:] == [
        "choosing_model",
        "evaluating",
        "deploying",
        "smoke_testing",
    ]
    evaluation = report.evaluation
    assert evaluation is not None and evaluation.decision.promote
    labels = {m.label for m in evaluation.models}
    assert labels == {"baseline", "final", "best_checkpoint"}
    # every example asked once of every model: N x (C + B)
    assert len(fake.asked) == len(set(fake.asked)) == 6 * 3
    evaluation_deployments = [d.name for d in fake.deployments_made if d.role == "evaluation"]
    assert len(evaluation_deployments) == 2 and set(evaluation_deployments) <= set(fake.deleted)
    # gpt-4o has no Developer tier for fine-tuned models: the run's SKU, with a warning in the report
    assert all(d.sku == "Standard" for d in fake.deployments_made if d.role == "evaluation")
    assert any("evaluation SKU DeveloperTier is not available" in w for w in report.warnings)
    promoted = next(c for c in evaluation.models if c.label == evaluation.decision.candidate)
    assert fake.deployment is not None and fake.deployment.model == promoted.model
    assert report.model_choice is not None and "quality gate" in report.model_choice.reason


def test_evaluation_deployments_use_the_developer_tier_where_the_model_has_one() -> None:
    fake = FakeAzure(options={**GATE, "base_model": "gpt-4.1-mini"})
    _, result = run(fake)
    assert result.output["status"] == "succeeded"
    assert {d.sku for d in fake.deployments_made if d.role == "evaluation"} == {"DeveloperTier"}
    assert {d.sku for d in fake.deployments_made if d.role == "production"} == {"Standard"}


def test_a_candidate_no_better_than_the_baseline_is_rejected_and_nothing_is_promoted() -> None:
    fake = FakeAzure(options=GATE, candidate_quality=0.5)
    _, result = run(fake)
    assert result.output["status"] == "rejected"
    error = result.output["errors"][0]
    assert (error["stage"], error["code"]) == ("evaluating", "not_better_than_baseline")
    assert called(result, "deploy_model") == 2  # the two evaluation deployments, no production one
    assert fake.deployment is None
    evaluation_deployments = {d.name for d in fake.deployments_made if d.role == "evaluation"}
    assert evaluation_deployments <= set(fake.deleted)
    assert report_of(fake).evaluation is not None


def test_throttled_answers_are_asked_again_after_a_durable_timer() -> None:
    fake = FakeAzure(options=GATE, throttled_answers=3)
    _, result = run(fake)
    assert result.output["status"] == "succeeded"
    assert len(fake.asked) == 18 and len(set(fake.asked)) == 18
    asks = result.calls("ask_model")
    assert len(asks) == 18 + 3
    waited = [(later.at - earlier.at).total_seconds() for earlier, later in pairwise(asks)]
    assert max(waited) >= 7  # the service's Retry-After, on the orchestration clock


def test_the_deployment_gate_comes_after_the_evaluation() -> None:
    fake = FakeAzure(options={**GATE, "approval": "deployment"})
    seen: list[Any] = []

    def waiting(status: dict[str, Any]) -> bool:
        custom = status.get("customStatus") or {}
        if custom.get("stage") == "awaiting_approval:deployment":
            seen.append(custom.get("evaluation"))
            return True
        return False

    _, result = run(fake, [ScriptedEvent("approval", {"approved": True}, when=waiting)])
    assert result.output["status"] == "succeeded"
    assert seen and seen[0]["done"] == seen[0]["total"] == 18  # the person sees a finished evaluation


def test_an_evaluation_with_no_room_for_its_deployments_fails_before_deploying_any() -> None:
    fake = FakeAzure(options=GATE, fine_tuned_limit=1)
    _, result = run(fake)
    error = result.output["errors"][0]
    assert (error["code"], result.output["status"]) == ("evaluation_failed", "failed")
    assert "FT_MAX_FINE_TUNED_DEPLOYMENTS" in error["message"]
    assert fake.deployments_made == []
