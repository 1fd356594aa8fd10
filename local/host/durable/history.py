"""History events and the orchestration context JSON, in the shapes the Python SDK reads.

The field names follow `azure.durable_functions.models.history.HistoryEvent` and the SDK's
own test `ContextBuilder`: every event has EventType/EventId/IsPlayed/Timestamp, plus the
fields of its type (Name, Input, Result, TaskScheduledId, TimerId, FireAt, Reason, Details...).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any

from azure.durable_functions.constants import DATETIME_STRING_FORMAT
from azure.durable_functions.models.history import HistoryEventType
from azure.durable_functions.models.ReplaySchema import ReplaySchema

__all__ = [
    "REPLAY_SCHEMA",
    "ActionType",
    "Event",
    "api_time",
    "context_json",
    "event",
    "flatten_actions",
    "format_time",
    "parse_time",
]

Event = dict[str, Any]

# V3 is what current Functions hosts advertise; without the long-timer settings the SDK
# uses single durable timers, so it behaves like V2 (compound WhenAll/WhenAny actions).
REPLAY_SCHEMA = ReplaySchema.V3


class ActionType(IntEnum):
    """`actionType` values of the actions an orchestrator returns (models/actions/ActionType.py)."""

    CALL_ACTIVITY = 0
    CALL_ACTIVITY_WITH_RETRY = 1
    CALL_SUB_ORCHESTRATOR = 2
    CALL_SUB_ORCHESTRATOR_WITH_RETRY = 3
    CONTINUE_AS_NEW = 4
    CREATE_TIMER = 5
    WAIT_FOR_EXTERNAL_EVENT = 6
    CALL_ENTITY = 7
    CALL_HTTP = 8
    SIGNAL_ENTITY = 9
    WHEN_ANY = 11
    WHEN_ALL = 12


def format_time(moment: datetime) -> str:
    """UTC timestamp in the SDK's format; the fixed width also makes it sort as text."""
    return moment.astimezone(UTC).strftime(DATETIME_STRING_FORMAT)


def parse_time(text: str) -> datetime:
    return datetime.strptime(text, DATETIME_STRING_FORMAT).replace(tzinfo=UTC)


def api_time(text: str) -> str:
    """A stored timestamp as the management API shows it: `yyyy-MM-ddTHH:mm:ssZ` (.NET's "s" + Z)."""
    return parse_time(text).strftime("%Y-%m-%dT%H:%M:%SZ")


_ALWAYS_PRESENT = ("Version",)
"""Fields the SDK reads unconditionally (`context.version` reads ExecutionStarted.Version), null or not."""


def event(kind: HistoryEventType, at: datetime, event_id: int = -1, **fields: Any) -> Event:
    """One history event, unplayed; fields that are None are left out as the host does."""
    record: Event = {
        "EventType": int(kind),
        "EventId": event_id,
        "IsPlayed": False,
        "Timestamp": format_time(at),
    }
    record.update(
        {key: value for key, value in fields.items() if value is not None or key in _ALWAYS_PRESENT}
    )
    return record


def flatten_actions(actions: list[list[dict]]) -> list[dict]:
    """The atomic actions in scheduling order: compound WhenAll/WhenAny actions unpacked.

    The SDK numbers tasks (the EventId of TaskScheduled, TimerCreated...) in this order,
    so the engine can give each new action the id the orchestrator expects.
    """
    flat: list[dict] = []

    def walk(action: dict) -> None:
        if action["actionType"] in (ActionType.WHEN_ALL, ActionType.WHEN_ANY):
            for child in action["compoundActions"]:
                walk(child)
        else:
            flat.append(action)

    for group in actions:
        for action in group:
            walk(action)
    return flat


def context_json(
    instance_id: str,
    history: list[Event],
    new_events: list[Event],
    input_json: str | None,
    parent_instance_id: str | None,
) -> str:
    """The orchestration trigger payload: old events marked played, new ones not."""
    played = [{**item, "IsPlayed": True} for item in history]
    return json.dumps(
        {
            "history": played + new_events,
            "input": input_json,
            "instanceId": instance_id,
            "isReplaying": bool(history),
            "parentInstanceId": parent_instance_id,
            "upperSchemaVersion": REPLAY_SCHEMA.value,
        }
    )
