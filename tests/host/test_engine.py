"""The durable engine through the in-process harness: history shapes and orchestration features."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import azure.durable_functions
import pytest

import tests
from local.host.durable.errors import InstanceExists
from local.host.durable.testing import DEFAULT_START, OrchestrationHarness, ScriptedEvent
from tests.host.sample_app.function_app import app

# The SDK wheel ships its tests as a top-level `tests` package, which ours shadows; its
# ContextBuilder is the reference for history shapes, so let our package path reach it too.
tests.__path__.append(str(Path(azure.durable_functions.__file__).parents[2] / "tests"))
from tests.test_utils.ContextBuilder import ContextBuilder  # type: ignore[import-untyped]  # noqa: E402 - the SDK ships its tests untyped


def shape(history: list[dict]) -> list[tuple]:
    """What replay depends on: event types, ids, task references, names and payloads."""
    return [
        (
            item["EventType"],
            item.get("EventId", -1),
            item.get("TaskScheduledId"),
            item.get("TimerId"),
            item.get("Name"),
            item.get("Result"),
        )
        for item in history
    ]


def without_execution_completed(history: list[dict]) -> list[dict]:
    return [item for item in history if item["EventType"] != 1]


def test_sequence_history_matches_the_sdk_context_builder():
    result = OrchestrationHarness(app).run("sequence", 5)
    builder = ContextBuilder("sequence")
    for task_id, value in enumerate([6, 8, 11]):
        builder.add_task_scheduled_event(name="add", id_=task_id)
        builder.add_orchestrator_completed_event()
        builder.add_orchestrator_started_event()
        builder.add_task_completed_event(id_=task_id, result=json.dumps(value))
    builder.add_orchestrator_completed_event()
    expected = builder.to_json()["history"]
    assert shape(without_execution_completed(result.history)) == shape(expected)
    assert result.runtime_status == "Completed"
    assert result.output == [6, 8, 11]
    assert result.custom_statuses == [{"stage": f"step-{i}"} for i in range(3)] + [{"stage": "done"}]


def test_replaying_a_history_twice_yields_the_same_actions():
    harness = OrchestrationHarness(app)
    result = harness.run("fan_out", 4)
    first = harness.replay("fan_out", result.history)
    assert first == harness.replay("fan_out", result.history)
    assert [
        action["functionName"]
        for group in first
        for compound in group
        for action in compound["compoundActions"]
    ] == ["add"] * 4


def test_retries_follow_the_sdk_retry_shape_and_virtual_time():
    attempts: dict[str, int] = {}

    def flaky(payload):
        attempts[payload["label"]] = attempts.get(payload["label"], 0) + 1
        if payload["label"] == "a" and attempts["a"] < 3:
            raise RuntimeError("service unavailable")
        return f"{payload['label']}{attempts[payload['label']]}"

    result = OrchestrationHarness(app, {"flaky": flaky}).run("retrying")
    assert result.runtime_status == "Completed"
    # two retries 5 s apart: the orchestration clock moved 10 s, the test did not wait
    assert result.output == ["a3", "b1", (DEFAULT_START + timedelta(seconds=10)).isoformat()]
    assert [(call.input["label"], call.attempt, call.error is None) for call in result.calls("flaky")] == [
        ("a", 1, False),
        ("b", 1, True),
        ("a", 2, False),
        ("a", 3, True),
    ]
    # as in the SDK's own retry tests: TaskFailed + TimerCreated, then TimerFired + TaskScheduled
    events = [
        (item["EventType"], item["EventId"], item.get("TaskScheduledId"), item.get("TimerId"))
        for item in result.history
        if item["EventType"] not in (12, 13)
    ]
    assert events[:8] == [
        (0, -1, None, None),
        (4, 0, None, None),
        (4, 1, None, None),
        (6, -1, 0, None),
        (10, 2, None, None),
        (5, -1, 1, None),
        (11, -1, None, 2),
        (4, 3, None, None),
    ]


def test_retries_exhausted_fail_the_orchestration():
    def down(payload):
        raise RuntimeError("still down")

    result = OrchestrationHarness(app, {"flaky": down}).run("retrying")
    assert result.runtime_status == "Failed"
    assert "still down" in result.output
    assert len(result.calls("flaky")) == 6


@pytest.mark.parametrize(
    "events, approved, minutes",
    [
        ([], None, 60),
        (
            [ScriptedEvent("approve", "yes", when=lambda s: s["customStatus"] == {"stage": "waiting"})],
            "yes",
            0,
        ),
        ([ScriptedEvent("approve", "late", at=DEFAULT_START + timedelta(minutes=30))], "late", 30),
    ],
)
def test_task_any_of_an_event_and_a_timer(events, approved, minutes):
    result = OrchestrationHarness(app).run("approval", events=events)
    assert result.output == {
        "approved": approved,
        "at": (DEFAULT_START + timedelta(minutes=minutes)).isoformat(),
    }
    assert result.custom_status == {"stage": "timed-out" if approved is None else "approved"}


def test_an_event_raised_before_the_wait_is_kept():
    result = OrchestrationHarness(app).run("early_event", events=[ScriptedEvent("go", "went")])
    assert result.output == [2, "went"]
    kinds = [item["EventType"] for item in result.history]
    assert kinds.index(15) < kinds.index(5)  # EventRaised landed before the activity's TaskCompleted


def test_waiting_for_an_event_that_never_comes_leaves_it_running():
    result = OrchestrationHarness(app).run("early_event")
    assert result.runtime_status == "Running"


def test_sub_orchestrations_complete_and_fail():
    result = OrchestrationHarness(app).run("parent", instance_id="p")
    assert result.output == {
        "child": [11, 13, 16],
        "error": "Orchestrator function 'failing' failed: failing on purpose ",
    }
    assert result.instances["p-child"]["runtimeStatus"] == "Completed"
    assert result.instances["p:1"]["runtimeStatus"] == "Failed"
    created = [item for item in result.history if item["EventType"] == 7]
    assert [(item["Name"], item["InstanceId"], item["EventId"]) for item in created] == [
        ("sequence", "p-child", 0),
        ("failing", "p:1", 1),
    ]


def test_continue_as_new_resets_the_history():
    result = OrchestrationHarness(app).run("counter", 0)
    assert result.output == 3
    assert [call.input["a"] for call in result.calls("add")] == [0, 1, 2]
    started = [item for item in result.history if item["EventType"] == 0]
    assert [item["Input"] for item in started] == ["3"]


def test_a_failing_orchestrator_reports_its_error():
    result = OrchestrationHarness(app).run("failing")
    assert result.runtime_status == "Failed"
    assert result.output.startswith("Orchestrator function 'failing' failed: failing on purpose")


def test_an_instance_id_can_be_reused_only_after_the_instance_ended():
    harness = OrchestrationHarness(app)
    harness.run("early_event", instance_id="same")
    with pytest.raises(InstanceExists):
        harness.engine.start("early_event", "same", None)
    harness.engine.terminate("same", "enough")
    harness.engine.run_once()
    assert harness.status("same")["runtimeStatus"] == "Terminated"
    assert harness.run("sequence", 1, instance_id="same").output == [2, 4, 7]
