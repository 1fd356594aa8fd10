"""The orchestration status JSON of the Durable HTTP API (what `DurableOrchestrationStatus` reads)."""

from __future__ import annotations

import json
from typing import Any

from azure.durable_functions.models.history import HistoryEventType

from local.host.durable.history import Event, api_time
from local.host.durable.store import Instance

__all__ = ["describe_history", "status_json"]

_HIDDEN = (HistoryEventType.ORCHESTRATOR_STARTED, HistoryEventType.ORCHESTRATOR_COMPLETED)
_OUTPUTS = ("Result", "Input")


def _loads(text: str | None) -> Any:
    return json.loads(text) if text else None


def status_json(
    instance: Instance,
    history: list[Event] | None = None,
    *,
    show_input: bool = True,
    show_history_output: bool = False,
) -> dict[str, Any]:
    """Status as the real host reports it; `historyEvents` only when a history is given."""
    status: dict[str, Any] = {
        "name": instance.name,
        "instanceId": instance.instance_id,
        "runtimeStatus": instance.status,
        "input": _loads(instance.input) if show_input else None,
        "customStatus": _loads(instance.custom_status),
        "output": _loads(instance.output),
        "createdTime": api_time(instance.created_time),
        "lastUpdatedTime": api_time(instance.last_updated_time),
    }
    if history is not None:
        status["historyEvents"] = describe_history(history, show_history_output)
    return status


def describe_history(history: list[Event], show_output: bool) -> list[dict[str, Any]]:
    """History for people: event type names, function names, payloads only when asked for."""
    scheduled = {
        item["EventId"]: item
        for item in history
        if item["EventType"]
        in (HistoryEventType.TASK_SCHEDULED, HistoryEventType.SUB_ORCHESTRATION_INSTANCE_CREATED)
    }
    described = []
    for item in history:
        if item["EventType"] in _HIDDEN:
            continue
        entry = {
            "EventType": HistoryEventType(item["EventType"]).name.title().replace("_", ""),
            **{key: value for key, value in item.items() if key not in ("EventType", "IsPlayed", *_OUTPUTS)},
        }
        origin = scheduled.get(item.get("TaskScheduledId"))
        if origin is not None:
            entry["FunctionName"], entry["ScheduledTime"] = origin.get("Name"), origin["Timestamp"]
        if show_output:
            entry.update({key: _loads(item[key]) for key in _OUTPUTS if item.get(key)})
        described.append(entry)
    return described
