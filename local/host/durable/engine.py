"""The durable engine: turns queued messages into orchestrator episodes and their side effects.

One message is delivered per episode (start, external event, activity or sub-orchestration
result, timer). The engine appends the message's events to the history, hands the registered
orchestrator function the context JSON, and maps the returned actions onto new history events
(TaskScheduled, TimerCreated, SubOrchestrationInstanceCreated, EventSent) and work. Delivering
one message at a time keeps the event ids the engine assigns in the order the SDK assigns task
ids during replay, including the timers and re-schedules that `*_with_retry` calls add.

Control messages (terminate, suspend, resume, rewind) and entity operations go through the same
queue, so everything an instance or entity does is serialised in one place.

The same class drives the dev host (system clock, SQLite file, thread pool) and the test
harness (virtual clock, in-memory SQLite, scripted activities).
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from azure.durable_functions.models.history import HistoryEventType as E

from local.host.durable.entities import (
    BatchResult,
    EntityFunction,
    Operation,
    response_json,
    run_operation,
    split_entity_id,
)
from local.host.durable.errors import (
    DurableError,
    EntityNotFound,
    InstanceExists,
    InstanceGone,
    InstanceNotFound,
    InvalidOperation,
    RestartTargetNotFound,
    UnknownOrchestrator,
)
from local.host.durable.history import (
    ActionType,
    Event,
    context_json,
    event,
    flatten_actions,
    format_time,
    parse_time,
)
from local.host.durable.store import (
    SUSPENDED,
    EntityRow,
    Instance,
    Message,
    RetryState,
    Scheduler,
    Store,
    WorkItem,
)
from local.host.durable.versions import VersionPolicy

__all__ = [
    "Clock",
    "Engine",
    "OrchestratorFunction",
    "StateChange",
    "SystemClock",
    "invoke_orchestrator",
]

log = logging.getLogger("devhost.durable")

OrchestratorFunction = Callable[[str], str]
"""What DFApp registers for an orchestration trigger: context JSON in, orchestrator state JSON out."""

_OUT_OF_PROC_MARKER = "\n\n$OutOfProcData$:"
_ACTIVITY_ACTIONS = (ActionType.CALL_ACTIVITY, ActionType.CALL_ACTIVITY_WITH_RETRY)
_RETRY_ACTIONS = (ActionType.CALL_ACTIVITY_WITH_RETRY, ActionType.CALL_SUB_ORCHESTRATOR_WITH_RETRY)
_ENTITY_ACTIONS = (ActionType.CALL_ENTITY, ActionType.SIGNAL_ENTITY)
_FAILURES = (E.TASK_FAILED, E.SUB_ORCHESTRATION_INSTANCE_FAILED)
_SUSPENDABLE = ("Pending", "Running", "ContinuedAsNew")
_REJECTED_RETRY = timedelta(seconds=5)
"""How long a message of a version this host must not run waits before it is offered again."""


def invoke_orchestrator(
    orchestrator: OrchestratorFunction, payload: str
) -> tuple[dict[str, Any], str | None]:
    """Run an orchestrator on a context JSON: its state, plus the error text when it failed.

    The SDK reports a failed orchestration as an exception whose message carries the state
    after a marker, as the Functions host receives it.
    """
    try:
        return json.loads(orchestrator(payload)), None
    except Exception as exc:
        text = str(exc)
        if _OUT_OF_PROC_MARKER in text:
            message, state = text.split(_OUT_OF_PROC_MARKER, 1)
            return json.loads(state), message
        log.exception("orchestrator crashed outside the SDK's error handling")
        return {}, f"{type(exc).__name__}: {text}"


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class UnsupportedAction(Exception):
    """The orchestrator used an API the dev host does not implement (call_http)."""


@dataclass
class StateChange:
    """Reported after every episode that changed an instance's status or custom status."""

    instance_id: str
    name: str
    status: str
    custom_status: object
    at: datetime


@dataclass(frozen=True)
class _Child:
    instance_id: str
    name: str
    input: str | None
    task_id: int
    version: str | None


@dataclass
class _Effects:
    """What an episode decided to do; stored in the episode's transaction, run after it."""

    work: list[tuple[int, str, str | None, int]] = field(default_factory=list)
    timers: list[tuple[int, str]] = field(default_factory=list)
    children: list[_Child] = field(default_factory=list)
    entity_operations: list[tuple[str, Operation]] = field(default_factory=list)


def _rewound(item: Event) -> Event:
    """A history event cleared by a rewind: a GenericEvent that replay ignores, as Azure Storage does."""
    return {
        "EventType": int(E.GENERIC_EVENT),
        "EventId": -1,
        "IsPlayed": False,
        "Timestamp": item["Timestamp"],
        "Data": f"Rewound: {E(item['EventType']).name.title().replace('_', '')}",
    }


class Engine:
    def __init__(
        self,
        store: Store,
        orchestrators: Mapping[str, OrchestratorFunction],
        clock: Clock,
        dispatch: Callable[[WorkItem], None],
        on_change: Callable[[StateChange], None] | None = None,
        *,
        entities: Mapping[str, EntityFunction] | None = None,
        versions: VersionPolicy | None = None,
    ) -> None:
        self.store = store
        self.orchestrators = orchestrators
        self.entities = {name.lower(): function for name, function in (entities or {}).items()}
        self.versions = versions or VersionPolicy()
        self.clock = clock
        self.dispatch = dispatch
        self.on_change = on_change
        self.wakeup = threading.Event()
        self._rejected: set[tuple[str, str]] = set()

    def _now(self) -> str:
        return format_time(self.clock.now())

    # client operations

    def start(
        self,
        name: str,
        instance_id: str | None = None,
        input_json: str | None = None,
        version: str | None = None,
    ) -> str:
        """Start (or start again, when the old one ended) an instance; its id is the caller's."""
        instance_id = instance_id or uuid.uuid4().hex
        with self.store.transaction():
            self._create(name, instance_id, input_json, None, self.versions.version_for(version))
        log.info("orchestration %s (%s): Pending", name, instance_id)
        self.wakeup.set()
        return instance_id

    def raise_event(self, instance_id: str, name: str, input_json: str | None) -> None:
        self._running(instance_id)
        self._send(instance_id, "event", {"name": name, "input": input_json})

    def terminate(self, instance_id: str, reason: str | None) -> None:
        self._running(instance_id)
        self._send(instance_id, "terminate", {"reason": reason})

    def suspend(self, instance_id: str, reason: str | None) -> None:
        instance = self._running(instance_id)
        if instance.status not in _SUSPENDABLE:
            raise InvalidOperation(
                f"Cannot suspend the orchestration instance {instance_id} "
                f"because instance is in the {instance.status} state."
            )
        self._send(instance_id, "suspend", {"reason": reason})

    def resume(self, instance_id: str, reason: str | None) -> None:
        instance = self._running(instance_id)
        if instance.status != SUSPENDED:
            raise InvalidOperation(
                f"Cannot resume the orchestration instance {instance_id} "
                f"because instance is in the {instance.status} state."
            )
        self._send(instance_id, "resume", {"reason": reason})

    def restart(self, instance_id: str, new_instance_id: bool = True) -> str:
        """Start the instance's orchestrator again with its original input, under a new id or the same."""
        instance = self.store.instance(instance_id)
        if instance is None:
            raise RestartTargetNotFound(f"An orchestration with the instanceId {instance_id} was not found.")
        return self.start(instance.name, None if new_instance_id else instance_id, instance.input)

    def rewind(self, instance_id: str, reason: str | None) -> None:
        """Give a failed instance's failed activities and sub-orchestrations another run."""
        with self.store.transaction():
            instance = self.store.instance(instance_id)
            if instance is None:
                raise InstanceNotFound(instance_id)
            if instance.status in ("Completed", "Terminated"):
                raise InstanceGone(instance_id)
            work = self._rewind(instance, reason)
        log.info("orchestration %s (%s): rewound (%s)", instance.name, instance_id, reason)
        for item in work:
            self.dispatch(item)
        self.wakeup.set()

    def purge(self, instance_id: str) -> bool:
        return self.store.delete_instance(instance_id)

    def signal_entity(self, instance_id: str, operation: str, input_json: str | None) -> None:
        """Queue a one-way operation for an entity; it exists once an operation gave it state."""
        name, _ = split_entity_id(instance_id)
        if name not in self.entities:
            raise EntityNotFound(
                f"The function '{name}' doesn't exist, is disabled, or is not an entity function."
            )
        self._send(instance_id, "entity", Operation(operation, input_json, uuid.uuid4().hex).to_payload())

    def complete_activity(
        self, work: WorkItem, result_json: str | None = None, failure: tuple[str, str] | None = None
    ) -> None:
        """Record an activity's result; a second completion of the same work row is ignored."""
        payload = (
            {"task_id": work.task_id, "reason": failure[0], "details": failure[1]}
            if failure
            else {"task_id": work.task_id, "result": result_json}
        )
        with self.store.transaction():
            if self.store.take_work(work.id):
                self.store.send(work.instance_id, work.execution_id, "activity_result", payload, self._now())
        self.wakeup.set()

    def _send(self, instance_id: str, kind: str, payload: dict[str, Any]) -> None:
        self.store.send(instance_id, None, kind, payload, self._now())
        self.wakeup.set()

    def _running(self, instance_id: str) -> Instance:
        instance = self.store.instance(instance_id)
        if instance is None:
            raise InstanceNotFound(f"No instance with ID '{instance_id}' found.")
        if instance.is_terminal:
            raise InstanceGone(f"Instance with ID '{instance_id}' is {instance.status}.")
        return instance

    def _create(
        self,
        name: str,
        instance_id: str,
        input_json: str | None,
        parent: tuple[str, str, int] | None,
        version: str | None,
    ) -> None:
        if name not in self.orchestrators:
            raise UnknownOrchestrator(
                f"The function '{name}' doesn't exist, is disabled, or is not an orchestrator function."
            )
        existing = self.store.instance(instance_id)
        if existing is not None and not existing.is_terminal:
            raise InstanceExists(
                f"An Orchestration instance with the status {existing.status} already exists."
            )
        self.store.drop_pending(instance_id)
        self.store.clear_history(instance_id)
        now = self._now()
        parent_id, parent_execution, parent_task = parent or (None, None, None)
        instance = Instance(
            instance_id,
            name,
            uuid.uuid4().hex,
            "Pending",
            input_json,
            None,
            None,
            now,
            now,
            parent_id,
            parent_execution,
            parent_task,
            version=version,
        )
        self.store.save_instance(instance)
        self.store.send(instance_id, instance.execution_id, "start", {}, now)

    # the worker side

    def pending_work(self) -> list[WorkItem]:
        """Activities scheduled but never completed, e.g. interrupted by a kill: run them again."""
        return self.store.all_work()

    def next_due(self) -> datetime | None:
        text = self.store.next_visible_at()
        return parse_time(text) if text else None

    def run_once(self) -> bool:
        """Process one due message; False when none is due."""
        message = self.store.next_message(self._now())
        if message is None:
            return False
        if message.instance_id.startswith("@"):
            self._entity_operation(message)
            return True
        instance = self.store.instance(message.instance_id)
        if (
            instance is None
            or instance.is_terminal
            or (message.execution_id is not None and message.execution_id != instance.execution_id)
        ):
            self.store.delete_message(message.id)
        elif message.kind == "terminate":
            self._terminate(instance, message)
        elif message.kind in ("suspend", "resume"):
            self._suspend_or_resume(instance, message)
        elif not self._version_allows(instance, message):
            pass
        else:
            self._episode(instance, message)
        return True

    def _version_allows(self, instance: Instance, message: Message) -> bool:
        """host.json's version match strategy: reject (retry later) or fail an instance it excludes."""
        problem = self.versions.mismatch(instance.version)
        if problem is None:
            return True
        if self.versions.failure_strategy == "Fail":
            now = self.clock.now()
            with self.store.transaction():
                self.store.delete_message(message.id)
                self.store.append_history(
                    instance.instance_id,
                    [
                        event(
                            E.EXECUTION_COMPLETED,
                            now,
                            OrchestrationStatus="Failed",
                            Result=json.dumps(problem),
                        )
                    ],
                )
                self._finish(instance, "Failed", json.dumps(problem), failure=problem)
            self._changed(instance, "Failed", now)
            return False
        if (instance.instance_id, instance.execution_id) not in self._rejected:
            self._rejected.add((instance.instance_id, instance.execution_id))
            log.warning(
                "orchestration %s (%s) is not run by this host: %s",
                instance.name,
                instance.instance_id,
                problem,
            )
        self.store.postpone(message.id, format_time(self.clock.now() + _REJECTED_RETRY))
        return False

    def _terminate(self, instance: Instance, message: Message) -> None:
        reason = message.payload.get("reason")
        now = self.clock.now()
        with self.store.transaction():
            self.store.append_history(
                instance.instance_id, [event(E.EXECUTION_TERMINATED, now, Input=reason)]
            )
            self._finish(instance, "Terminated", json.dumps(reason), failure=f"terminated: {reason}")
        self._changed(instance, "Terminated", now)

    def _suspend_or_resume(self, instance: Instance, message: Message) -> None:
        """Suspended instances keep their queued messages (the store holds them back) until resumed."""
        suspend = message.kind == "suspend"
        now = self.clock.now()
        with self.store.transaction():
            self.store.delete_message(message.id)
            if suspend == (instance.status == SUSPENDED):
                return  # already in the requested state
            kind = E.EXECUTION_SUSPENDED if suspend else E.EXECUTION_RESUMED
            self.store.append_history(
                instance.instance_id, [event(kind, now, Reason=message.payload.get("reason"))]
            )
            instance.status = SUSPENDED if suspend else "Running"
            instance.last_updated_time = format_time(now)
            self.store.save_instance(instance)
        self._changed(instance, instance.status, now)
        self.wakeup.set()

    def _episode(self, instance: Instance, message: Message) -> None:
        now = self.clock.now()
        before = (instance.status, instance.custom_status)
        scheduler = instance.scheduler
        effects = _Effects()
        history = self.store.history(instance.instance_id)
        new_events = [event(E.ORCHESTRATOR_STARTED, now), *self._deliver(instance, message, now, effects)]
        state, error = self._invoke(instance, history, new_events)
        actions = flatten_actions(state.get("actions") or []) if error is None else []
        try:
            for action in actions[scheduler.actions_seen :]:
                new_events += self._schedule(instance, action, now, effects)
        except UnsupportedAction as exc:
            error = str(exc)
        if error is None:
            scheduler.actions_seen = len(actions)
        cancelled = [
            task_id
            for task_id, action in zip(scheduler.action_ids, actions, strict=False)
            if task_id is not None and action.get("isCanceled")
        ]
        new_events.append(event(E.ORCHESTRATOR_COMPLETED, now))
        if "customStatus" in state:
            instance.custom_status = json.dumps(state["customStatus"])
        instance.status = "Running"
        continue_as_new = next((a for a in actions if a["actionType"] == ActionType.CONTINUE_AS_NEW), None)
        work: list[WorkItem] = []

        with self.store.transaction():
            current = self.store.instance(instance.instance_id)
            if current is None or current.execution_id != instance.execution_id:
                return  # purged or replaced while the orchestrator ran
            self.store.delete_message(message.id)
            self.store.cancel_timers(instance.instance_id, cancelled)
            if error is not None:
                output = f"Orchestrator function '{instance.name}' failed: {error}"
                new_events.append(
                    event(E.EXECUTION_COMPLETED, now, OrchestrationStatus="Failed", Result=json.dumps(output))
                )
                self.store.append_history(instance.instance_id, new_events)
                self._finish(instance, "Failed", json.dumps(output), failure=output)
            elif state.get("isDone") and continue_as_new is not None:
                self._continue_as_new(instance, continue_as_new.get("input"))
            elif state.get("isDone"):
                output = json.dumps(state.get("output"))
                new_events.append(
                    event(E.EXECUTION_COMPLETED, now, OrchestrationStatus="Completed", Result=output)
                )
                self.store.append_history(instance.instance_id, new_events)
                self._finish(instance, "Completed", output)
            else:
                self.store.append_history(instance.instance_id, new_events)
                instance.last_updated_time = format_time(now)
                self.store.save_instance(instance)
                work = self._store_effects(instance, effects)
        log.info("Executed orchestrator '%s' (%s) on %s", instance.name, instance.instance_id, message.kind)
        if instance.status == "Running":
            for item in work:
                self.dispatch(item)
        if (instance.status, instance.custom_status) != before:
            self._changed(instance, instance.status, now)
        self.wakeup.set()

    def _invoke(
        self, instance: Instance, history: list[Event], new_events: list[Event]
    ) -> tuple[dict[str, Any], str | None]:
        orchestrator = self.orchestrators.get(instance.name)
        if orchestrator is None:
            return {}, f"the orchestrator function '{instance.name}' is not registered"
        payload = context_json(
            instance.instance_id, history, new_events, instance.input, instance.parent_instance_id
        )
        return invoke_orchestrator(orchestrator, payload)

    def _deliver(self, instance: Instance, message: Message, now: datetime, effects: _Effects) -> list[Event]:
        """The history events for the delivered message, plus what a retry policy adds to them."""
        payload, scheduler = message.payload, instance.scheduler
        if message.kind == "start":
            return [
                event(
                    E.EXECUTION_STARTED,
                    now,
                    Name=instance.name,
                    Version=instance.version,
                    Input=instance.input,
                    ParentInstanceId=instance.parent_instance_id,
                    OrchestrationInstance={
                        "InstanceId": instance.instance_id,
                        "ExecutionId": instance.execution_id,
                    },
                )
            ]
        if message.kind == "event":
            return [event(E.EVENT_RAISED, now, Name=payload["name"], Input=payload["input"])]
        if message.kind == "rewind":
            return [event(E.GENERIC_EVENT, now, Data=payload.get("reason"))]
        if message.kind == "timer":
            return self._timer_fired(payload, scheduler, effects, now)
        task_id = payload["task_id"]
        activity = message.kind == "activity_result"
        if "reason" not in payload:
            scheduler.retries.pop(str(task_id), None)
            kind = E.TASK_COMPLETED if activity else E.SUB_ORCHESTRATION_INSTANCE_COMPLETED
            return [event(kind, now, TaskScheduledId=task_id, Result=payload["result"])]
        kind = E.TASK_FAILED if activity else E.SUB_ORCHESTRATION_INSTANCE_FAILED
        events = [
            event(kind, now, TaskScheduledId=task_id, Reason=payload["reason"], Details=payload["details"])
        ]
        retry = scheduler.retries.pop(str(task_id), None)
        if retry is None:
            scheduler.spent[str(task_id)] = None
            return events
        # The SDK waits for a timer after every failed attempt, the last one included.
        timer_id = scheduler.allocate()
        fire_at = format_time(now + timedelta(milliseconds=retry.interval_ms))
        scheduler.retry_timers[str(timer_id)] = retry
        if retry.attempt >= retry.max_attempts:
            scheduler.spent[str(task_id)] = (retry, timer_id)
        effects.timers.append((timer_id, fire_at))
        return [*events, event(E.TIMER_CREATED, now, timer_id, FireAt=fire_at)]

    def _timer_fired(
        self, payload: dict[str, Any], scheduler: Scheduler, effects: _Effects, now: datetime
    ) -> list[Event]:
        timer_id = payload["timer_id"]
        events = [event(E.TIMER_FIRED, now, TimerId=timer_id, FireAt=payload["fire_at"])]
        retry = scheduler.retry_timers.pop(str(timer_id), None)
        if retry is not None and retry.attempt < retry.max_attempts:
            retry.attempt += 1
            task_id = scheduler.allocate()
            scheduler.retries[str(task_id)] = retry
            events += self._call(
                retry.kind,
                retry.name,
                retry.input,
                task_id,
                attempt=retry.attempt,
                child_id=retry.child_instance_id,
                effects=effects,
                now=now,
            )
        return events

    def _schedule(
        self, instance: Instance, action: dict[str, Any], now: datetime, effects: _Effects
    ) -> list[Event]:
        """History events and work for one new action, numbered as the SDK numbers its tasks."""
        kind, scheduler = action["actionType"], instance.scheduler
        if kind == ActionType.CALL_HTTP:
            raise UnsupportedAction("call_http (durable HTTP) is not supported by the dev host")
        if kind in (ActionType.WAIT_FOR_EXTERNAL_EVENT, ActionType.CONTINUE_AS_NEW):
            scheduler.action_ids.append(None)
            return []
        task_id = scheduler.allocate()
        scheduler.action_ids.append(task_id)
        if kind == ActionType.CREATE_TIMER:
            effects.timers.append((task_id, action["fireAt"]))
            return [event(E.TIMER_CREATED, now, task_id, FireAt=action["fireAt"])]
        if kind in _ENTITY_ACTIONS:
            return [self._entity_request(instance, action, task_id, effects, now)]
        call_kind = "activity" if kind in _ACTIVITY_ACTIONS else "orchestration"
        child_id = (
            None
            if call_kind == "activity"
            else (action.get("instanceId") or f"{instance.instance_id}:{task_id}")
        )
        if kind in _RETRY_ACTIONS:
            options = action["retryOptions"]
            scheduler.retries[str(task_id)] = RetryState(
                call_kind,
                action["functionName"],
                action.get("input"),
                options["firstRetryIntervalInMilliseconds"],
                options["maxNumberOfAttempts"],
                child_instance_id=child_id,
            )
        version = self.versions.version_for(action.get("version"))
        return self._call(
            call_kind,
            action["functionName"],
            action.get("input"),
            task_id,
            attempt=1,
            child_id=child_id,
            effects=effects,
            now=now,
            version=version,
        )

    @staticmethod
    def _entity_request(
        instance: Instance, action: dict[str, Any], task_id: int, effects: _Effects, now: datetime
    ) -> Event:
        """`call_entity` / `signal_entity`: an EventSent with the request id that names the answer."""
        signal = action["actionType"] == ActionType.SIGNAL_ENTITY
        operation = Operation(
            action["operation"],
            action.get("input"),
            str(uuid.uuid4()),
            signal=signal,
            parent=None if signal else instance.instance_id,
            parent_execution=None if signal else instance.execution_id,
        )
        effects.entity_operations.append((action["instanceId"], operation))
        request = {
            "id": operation.request_id,
            "op": operation.name,
            "signal": signal,
            "input": operation.input_json,
        }
        return event(
            E.EVENT_SENT, now, task_id, InstanceId=action["instanceId"], Name="op", Input=json.dumps(request)
        )

    @staticmethod
    def _call(
        kind: str,
        name: str,
        input_json: str | None,
        task_id: int,
        *,
        attempt: int,
        child_id: str | None,
        effects: _Effects,
        now: datetime,
        version: str | None = None,
    ) -> list[Event]:
        if child_id is None:
            effects.work.append((task_id, name, input_json, attempt))
            return [event(E.TASK_SCHEDULED, now, task_id, Name=name, Input=input_json)]
        effects.children.append(_Child(child_id, name, input_json, task_id, version))
        return [
            event(
                E.SUB_ORCHESTRATION_INSTANCE_CREATED,
                now,
                task_id,
                Name=name,
                Input=input_json,
                InstanceId=child_id,
                Version=version,
            )
        ]

    def _store_effects(self, instance: Instance, effects: _Effects) -> list[WorkItem]:
        work = [
            self.store.add_work(
                instance.instance_id, instance.execution_id, task_id, name, input_json=data, attempt=attempt
            )
            for task_id, name, data, attempt in effects.work
        ]
        for timer_id, fire_at in effects.timers:
            self.store.send(
                instance.instance_id,
                instance.execution_id,
                "timer",
                {"timer_id": timer_id, "fire_at": fire_at},
                fire_at,
            )
        for child in effects.children:
            try:
                self._create(
                    child.name,
                    child.instance_id,
                    child.input,
                    (instance.instance_id, instance.execution_id, child.task_id),
                    child.version,
                )
            except DurableError as exc:
                self.store.send(
                    instance.instance_id,
                    instance.execution_id,
                    "suborch_result",
                    {"task_id": child.task_id, "reason": str(exc), "details": ""},
                    self._now(),
                )
        for target, operation in effects.entity_operations:
            self.store.send(target, None, "entity", operation.to_payload(), self._now())
        return work

    def _continue_as_new(self, instance: Instance, input_json: str | None) -> None:
        """End this execution and queue a fresh one: new history, same id and version, the new input."""
        self.store.clear_history(instance.instance_id)
        self.store.drop_execution(instance.instance_id, instance.execution_id)
        instance.execution_id = uuid.uuid4().hex
        instance.input = input_json
        instance.status = "ContinuedAsNew"
        instance.scheduler = Scheduler()
        instance.last_updated_time = self._now()
        self.store.save_instance(instance)
        self.store.send(instance.instance_id, instance.execution_id, "start", {}, self._now())

    def _finish(self, instance: Instance, status: str, output: str, failure: str | None = None) -> None:
        """Record a terminal status and tell a parent orchestration, inside the caller's transaction."""
        instance.status, instance.output = status, output
        instance.last_updated_time = self._now()
        self.store.save_instance(instance)
        self.store.drop_pending(instance.instance_id)  # timers, late results, events: nobody waits
        if instance.parent_instance_id is None:
            return
        payload = (
            {"task_id": instance.parent_task_id, "reason": failure, "details": ""}
            if failure
            else {"task_id": instance.parent_task_id, "result": output}
        )
        self.store.send(
            instance.parent_instance_id, instance.parent_execution_id, "suborch_result", payload, self._now()
        )

    # rewind

    def _rewind(self, instance: Instance, reason: str | None) -> list[WorkItem]:
        """Rewind a failed execution inside the caller's transaction, children first.

        As the Azure Storage provider does, the failure events (TaskFailed,
        SubOrchestrationInstanceFailed, the failed ExecutionCompleted) become GenericEvents that
        replay ignores; the failed calls then run again. The TaskScheduled events stay, so the
        orchestrator finds the same task ids waiting. For the last attempt of an exhausted retry
        policy the final retry timer is cleared too, and its id handed back, because the SDK only
        creates that timer after seeing the failure.
        """
        if instance.status != "Failed":
            raise InvalidOperation(
                "The rewind operation is only supported on failed orchestration instances."
            )
        scheduler = instance.scheduler
        history = self.store.history(instance.instance_id)
        calls = {
            item["EventId"]: item
            for item in history
            if item["EventType"] in (E.TASK_SCHEDULED, E.SUB_ORCHESTRATION_INSTANCE_CREATED)
        }
        cleared: set[int] = set()  # positions in the history
        retry_timers: list[int] = []
        redo: list[tuple[Event, RetryState | None]] = []
        for position, item in enumerate(history):
            if item["EventType"] in _FAILURES and str(item["TaskScheduledId"]) in scheduler.spent:
                task_id = item["TaskScheduledId"]
                spent = scheduler.spent.pop(str(task_id))
                retry = None if spent is None else spent[0]
                if spent is not None:
                    retry_timers.append(spent[1])
                    scheduler.retries[str(task_id)] = spent[0]
                cleared.add(position)
                redo.append((calls[task_id], retry))
            elif item["EventType"] == E.EXECUTION_COMPLETED:
                cleared.add(position)
        for timer_id in sorted(retry_timers, reverse=True):
            if timer_id != scheduler.next_id - 1:
                raise InvalidOperation(
                    "The rewind cannot replay a retry policy whose last timer was followed by other tasks."
                )
            scheduler.next_id -= 1
            cleared.update(
                position
                for position, item in enumerate(history)
                if timer_id in (item.get("TimerId"), item["EventId"])
                and item["EventType"] in (E.TIMER_CREATED, E.TIMER_FIRED)
            )
        self.store.replace_history(
            instance.instance_id,
            [_rewound(item) if position in cleared else item for position, item in enumerate(history)],
        )
        instance.status, instance.output = "Running", None
        instance.last_updated_time = self._now()
        self.store.save_instance(instance)
        self.store.send(
            instance.instance_id, instance.execution_id, "rewind", {"reason": reason}, self._now()
        )
        return self._rerun(instance, redo, reason)

    def _rerun(
        self, instance: Instance, redo: list[tuple[Event, RetryState | None]], reason: str | None
    ) -> list[WorkItem]:
        work: list[WorkItem] = []
        for call, retry in redo:
            if call["EventType"] == E.TASK_SCHEDULED:
                attempt = retry.attempt if retry else 1
                work.append(
                    self.store.add_work(
                        instance.instance_id,
                        instance.execution_id,
                        call["EventId"],
                        call["Name"],
                        input_json=call.get("Input"),
                        attempt=attempt,
                    )
                )
                continue
            child = self.store.instance(call["InstanceId"])
            if child is not None and child.status == "Failed":
                work += self._rewind(child, reason)
            else:  # never started (e.g. an unknown orchestrator): create it again
                self._create(
                    call["Name"],
                    call["InstanceId"],
                    call.get("Input"),
                    (instance.instance_id, instance.execution_id, call["EventId"]),
                    call.get("Version"),
                )
        return work

    # entities

    def _entity_operation(self, message: Message) -> None:
        """One operation on an entity; a `call_entity` gets the outcome back as an event."""
        operation = Operation.from_payload(message.payload)
        name, key = split_entity_id(message.instance_id)
        row = self.store.entity(message.instance_id)
        state = row.state if row else None
        function = self.entities.get(name)
        if function is None:
            error = json.dumps(
                f"The function '{name}' doesn't exist, is disabled, or is not an entity function."
            )
            result = BatchResult(error, True, state, row is not None)
        else:
            result = run_operation(function, message.instance_id, state, operation)
        now = self._now()
        with self.store.transaction():
            self.store.delete_message(message.id)
            if result.exists:
                self.store.save_entity(EntityRow(message.instance_id, name, key, result.state, now))
            else:
                self.store.delete_entity(message.instance_id)
            if operation.parent is not None:
                answer = {"name": operation.request_id, "input": response_json(result)}
                self.store.send(operation.parent, operation.parent_execution, "event", answer, now)
        log.info(
            "Executed entity '%s' (%s) operation '%s'%s",
            name,
            message.instance_id,
            operation.name,
            " -> error" if result.is_error else "",
        )
        self.wakeup.set()

    def _changed(self, instance: Instance, status: str, at: datetime) -> None:
        custom = json.loads(instance.custom_status) if instance.custom_status else None
        log.info(
            "orchestration %s (%s): %s%s",
            instance.name,
            instance.instance_id,
            status,
            f" custom status {instance.custom_status}" if custom is not None else "",
        )
        if self.on_change is not None:
            self.on_change(StateChange(instance.instance_id, instance.name, status, custom, at))
