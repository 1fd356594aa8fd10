"""Run an app's orchestrations in-process on virtual time, for tests.

The harness drives the same `Engine` as the dev host (in-memory SQLite, no threads): durable
timers fire as soon as nothing else can happen, with the orchestration clock
(`context.current_utc_datetime`) moved to the timer's fire time; activities run from a script
(name -> callable(input) returning the output or raising) or, when not scripted, the app's own
activity function; external events are raised when a predicate on the instance's status
holds, or at a virtual time. Payloads cross the activity boundary as the worker moves them
(`ActivityTriggerConverter`): a scripted activity receives what the real one would and its
result is encoded the same way, and every call records the input JSON exactly as sent.

    from local.host.durable.testing import OrchestrationHarness, ScriptedEvent

    harness = OrchestrationHarness(app, {"submit_job": lambda payload: {"job": "j1"}})
    result = harness.run("pipeline", {"run": "r1"}, events=[
        ScriptedEvent("approve", {"approved": True},
                      when=lambda status: (status["customStatus"] or {}).get("stage") == "approval")])
    assert result.runtime_status == "Completed"
    assert [call.name for call in result.activity_calls] == ["submit_job", ...]
    assert harness.replay("pipeline", result.history) == harness.replay("pipeline", result.history)
"""

from __future__ import annotations

import contextlib
import json
import traceback
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from azure.durable_functions.models.history import HistoryEventType
from azure.functions._durable_functions import df_dumps

from local.host.durable.activities import decode_input, encode_output, execute
from local.host.durable.engine import Engine, StateChange, invoke_orchestrator
from local.host.durable.errors import InstanceGone
from local.host.durable.history import Event, context_json
from local.host.durable.status import status_json
from local.host.durable.store import InstanceQuery, Store, WorkItem
from local.host.durable.versions import VersionPolicy
from local.host.indexing import index

__all__ = [
    "DEFAULT_START",
    "ActivityCall",
    "HarnessResult",
    "OrchestrationHarness",
    "ScriptedEvent",
    "VirtualClock",
]

DEFAULT_START = datetime(2026, 1, 1, tzinfo=UTC)


class VirtualClock:
    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance_to(self, moment: datetime) -> None:
        self.current = max(self.current, moment)


@dataclass
class ScriptedEvent:
    """An external event raised once `when(status)` holds or the virtual clock reaches `at`.

    Without `when` and `at` it is raised right after the start (before the orchestrator
    waits for it: the engine buffers it, as Durable Functions does).
    """

    name: str
    data: Any = None
    when: Callable[[dict[str, Any]], bool] | None = None
    at: datetime | None = None
    instance_id: str | None = None


@dataclass
class ActivityCall:
    """One activity attempt: `input` is the input JSON parsed, `input_json` the text as sent."""

    name: str
    input: Any
    attempt: int
    instance_id: str
    at: datetime
    output: Any = None
    error: str | None = None
    input_json: str | None = None


@dataclass
class HarnessResult:
    status: dict[str, Any]
    history: list[Event]
    activity_calls: list[ActivityCall]
    custom_statuses: list[Any]
    instances: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def runtime_status(self) -> str:
        return self.status["runtimeStatus"]

    @property
    def output(self) -> Any:
        return self.status["output"]

    @property
    def custom_status(self) -> Any:
        return self.status["customStatus"]

    def calls(self, name: str) -> list[ActivityCall]:
        return [call for call in self.activity_calls if call.name == name]


class OrchestrationHarness:
    def __init__(
        self,
        app: Any,
        activities: Mapping[str, Callable[[Any], Any]] | None = None,
        *,
        start_time: datetime = DEFAULT_START,
        max_steps: int = 100_000,
        versions: VersionPolicy | None = None,
    ) -> None:
        self.indexed = index(app)
        self.activities = dict(activities or {})
        self.clock = VirtualClock(start_time)
        self.max_steps = max_steps
        self._queue: deque[WorkItem] = deque()
        self._changes: list[StateChange] = []
        self.store = Store()
        self.engine = Engine(
            self.store,
            self.indexed.orchestrators,
            self.clock,
            self._queue.append,
            self._changes.append,
            entities=self.indexed.entities,
            versions=versions,
        )
        self.calls: list[ActivityCall] = []

    def run(
        self,
        orchestrator: str,
        input: Any = None,
        *,
        instance_id: str = "test-instance",
        events: Sequence[ScriptedEvent] = (),
        version: str | None = None,
    ) -> HarnessResult:
        """Start an instance and run everything until nothing more can happen."""
        first_call = len(self.calls)
        self.engine.start(orchestrator, instance_id, df_dumps(input), version)
        return self.settle(orchestrator, instance_id, events, first_call)

    def settle(
        self,
        orchestrator: str,
        instance_id: str,
        events: Sequence[ScriptedEvent] = (),
        first_call: int | None = None,
    ) -> HarnessResult:
        """Run everything due (messages, activities, timers, scripted events) until nothing can happen.

        Use it after acting on an instance through `harness.engine` (suspend, resume, rewind...).
        """
        first_call = len(self.calls) if first_call is None else first_call
        waiting = [(event, event.instance_id or instance_id) for event in events]
        for _ in range(self.max_steps):
            waiting = [item for item in waiting if not self._raise_if_due(*item)]
            if self.engine.run_once():
                continue
            if self._queue:
                self._run_activity(self._queue.popleft())
                continue
            moments = [
                moment for moment in [self.engine.next_due(), *(e.at for e, _ in waiting if e.at)] if moment
            ]
            if not moments:
                break
            self.clock.advance_to(min(moments))
        else:
            raise RuntimeError(f"{orchestrator} did not settle within {self.max_steps} steps")
        return HarnessResult(
            status=self.status(instance_id, show_history=True),
            history=self.store.history(instance_id),
            activity_calls=self.calls[first_call:],
            custom_statuses=[
                change.custom_status
                for change in self._changes
                if change.instance_id == instance_id and change.custom_status is not None
            ],
            instances={
                item.instance_id: status_json(item) for item in self.store.query(InstanceQuery(), 0, 10_000)
            },
        )

    def status(self, instance_id: str, show_history: bool = False) -> dict[str, Any]:
        instance = self.store.instance(instance_id)
        if instance is None:
            raise KeyError(instance_id)
        return status_json(
            instance, self.store.history(instance_id) if show_history else None, show_history_output=True
        )

    def replay(
        self, orchestrator: str, history: list[Event], input: Any = None, instance_id: str = "test-instance"
    ) -> list:
        """The actions the orchestrator returns for a given history (for determinism checks)."""
        started = next(
            (item for item in history if item["EventType"] == HistoryEventType.EXECUTION_STARTED), {}
        )
        input_json = started.get("Input", json.dumps(input))
        payload = context_json(instance_id, [], history, input_json, None)
        state, _ = invoke_orchestrator(self.indexed.orchestrators[orchestrator], payload)
        return state.get("actions", [])

    def _raise_if_due(self, event: ScriptedEvent, instance_id: str) -> bool:
        if event.at is not None and self.clock.now() < event.at:
            return False
        if event.when is not None:
            instance = self.store.instance(instance_id)
            if instance is None or not event.when(status_json(instance)):
                return False
        with contextlib.suppress(InstanceGone):
            self.engine.raise_event(instance_id, event.name, json.dumps(event.data))
        return True

    def _run_activity(self, work: WorkItem) -> None:
        scripted = self.activities.get(work.name)
        call = ActivityCall(
            work.name,
            json.loads(work.input) if work.input else None,
            work.attempt,
            work.instance_id,
            self.clock.now(),
            input_json=work.input,
        )
        self.calls.append(call)

        def run(input_json: str | None) -> str:
            try:
                if scripted is None:
                    output_json = self.indexed.activities[work.name].run(input_json)
                else:
                    output_json = encode_output(scripted(decode_input(input_json)))
                call.output = json.loads(output_json)
                return output_json
            except Exception as exc:
                call.error = "".join(traceback.format_exception_only(exc)).strip()
                raise

        execute(self.engine, work, run)
