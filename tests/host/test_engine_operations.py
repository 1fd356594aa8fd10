"""Client operations and entities through the in-process harness: suspend, resume, rewind, restart, entities.

The harness drives the same engine as the dev host on virtual time, so these checks see exact
histories: what a rewind clears, what a suspended instance holds back, how an entity call is
recorded.
"""

from __future__ import annotations

import json
from typing import Any

from local.host.durable.testing import OrchestrationHarness
from local.host.indexing import find_app
from tests.host.sample_app.function_app import app
from tests.host.samples.apps.entities import function_app as entities_app


class Switch:
    """A scripted activity that fails until it is switched on."""

    def __init__(self) -> None:
        self.on = False
        self.calls = 0

    def __call__(self, payload: dict[str, Any]) -> str:
        self.calls += 1
        if not self.on:
            raise RuntimeError(f"{payload['label']} is down")
        return f"{payload['label']} up"


def kinds(history: list[dict[str, Any]]) -> list[int]:
    return [item["EventType"] for item in history]


def test_rewind_reruns_the_last_attempt_of_an_exhausted_retry_policy():
    flaky = Switch()
    harness = OrchestrationHarness(app, {"flaky": flaky})
    failed = harness.run("retrying")
    assert failed.runtime_status == "Failed" and flaky.calls == 6  # both policies exhausted (3 attempts each)
    flaky.on = True
    harness.engine.rewind("test-instance", "service fixed")
    rewound = harness.settle("retrying", "test-instance")
    assert (rewound.runtime_status, rewound.output[:2], flaky.calls) == ("Completed", ["a up", "b up"], 8)
    generic = [item.get("Data") for item in rewound.history if item["EventType"] == 17]
    # each last attempt's TaskFailed and final retry timer, the failed ExecutionCompleted, the rewind itself
    assert generic == [
        "Rewound: TaskFailed",
        "Rewound: TimerCreated",
        "Rewound: TaskFailed",
        "Rewound: TimerCreated",
        "Rewound: TimerFired",
        "Rewound: ExecutionCompleted",
        "service fixed",
    ]
    # the last attempts (task ids 8 and 9) ran again under their own ids, which the SDK still waited for
    last_attempts = sorted(item["EventId"] for item in rewound.history if item["EventType"] == 4)[-2:]
    completed = [item["TaskScheduledId"] for item in rewound.history if item["EventType"] == 5]
    assert completed == last_attempts == [8, 9]


def test_rewind_of_a_parent_rewinds_its_failed_child():
    flaky = Switch()
    harness = OrchestrationHarness(app, {"flaky": flaky})
    assert harness.run("guarded_parent", "disk", instance_id="p").runtime_status == "Failed"
    assert harness.status("p-c")["runtimeStatus"] == "Failed"
    flaky.on = True
    harness.engine.rewind("p", None)
    result = harness.settle("guarded_parent", "p")
    assert (result.runtime_status, result.output) == ("Completed", [2, "disk up"])
    assert harness.status("p-c")["runtimeStatus"] == "Completed"
    assert [call.name for call in result.activity_calls] == ["flaky"]  # the child's `add` is not run again


def test_a_suspended_instance_holds_its_events_and_timers_until_resumed():
    harness = OrchestrationHarness(app)
    harness.engine.start("approval", "held", "null")
    harness.engine.run_once()
    harness.engine.suspend("held", "maintenance")
    assert harness.settle("approval", "held").runtime_status == "Suspended"
    harness.engine.raise_event("held", "approve", json.dumps("yes"))
    suspended = harness.settle("approval", "held")
    assert suspended.runtime_status == "Suspended"  # the event and the one-hour timer both wait
    harness.engine.resume("held", "done")
    resumed = harness.settle("approval", "held")
    assert resumed.output["approved"] == "yes"
    assert (
        kinds(resumed.history).index(19) < kinds(resumed.history).index(20) < kinds(resumed.history).index(15)
    )


def test_restart_runs_the_orchestrator_again_with_its_input():
    harness = OrchestrationHarness(app)
    harness.run("sequence", 3, instance_id="first")
    again = harness.engine.restart("first", new_instance_id=False)
    assert again == "first"
    assert harness.settle("sequence", "first").output == [4, 6, 9]
    other = harness.engine.restart("first")
    assert other != "first" and harness.settle("sequence", other).output == [4, 6, 9]


def test_entity_calls_and_signals_are_recorded_as_the_sdk_replays_them():
    harness = OrchestrationHarness(find_app(entities_app))
    result = harness.run("count_visits", "k1")
    assert result.output == {"after_add": 15, "refused": "the counter refuses"}
    sent = [item for item in result.history if item["EventType"] == 14]
    assert [(item["EventId"], item["InstanceId"]) for item in sent] == [(i, "@counter@k1") for i in range(3)]
    requests = [json.loads(item["Input"]) for item in sent]
    assert [(request["op"], request["signal"]) for request in requests] == [
        ("add", True),
        ("add", False),
        ("fail", False),
    ]
    answers = {item["Name"]: json.loads(item["Input"]) for item in result.history if item["EventType"] == 15}
    assert answers[requests[1]["id"]] == {"result": "15"}
    assert answers[requests[2]["id"]] == {
        "result": json.dumps("the counter refuses"),
        "exceptionType": "System.Exception",
    }
    assert requests[0]["id"] not in answers  # a signal gets no answer
    entity = harness.store.entity("@counter@k1")
    assert entity is not None and entity.state == "15"
