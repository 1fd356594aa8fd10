"""Durable entities: ids, queued operations and one operation batch through the SDK's entity code.

The protocol is the one `azure.durable_functions` implements (`Entity.handle`,
`DurableEntityContext.from_json`, `EntityState.to_json`): the host hands the entity function
`{"self": {"name", "key"}, "exists", "state", "batch": [{"name", "input", ...}]}` where `state`
is the stored JSON text and each `input` is the operation's JSON text encoded once more as a JSON
string (what the extension sends), and gets back `{"entityExists", "entityState", "results"}`.
An orchestration's `call_entity` is answered with an EventRaised named after the request id whose
input is `{"result": <JSON text>}`, plus `"exceptionType"` when the operation raised
(`models/entities/ResponseMessage.py`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

__all__ = [
    "BatchResult",
    "EntityFunction",
    "Operation",
    "entity_id",
    "response_json",
    "run_operation",
    "split_entity_id",
]

log = logging.getLogger("devhost.entities")

EntityFunction = Callable[[str], str]
"""What DFApp registers for an entity trigger: entity context JSON in, entity state JSON out."""


def entity_id(name: str, key: str) -> str:
    """The entity's instance id as the SDK spells it (`EntityId.get_scheduler_id`): `@name@key`."""
    return f"@{name.lower()}@{key}"


def split_entity_id(instance_id: str) -> tuple[str, str]:
    name, _, key = instance_id[1:].partition("@")
    return name, key


@dataclass(frozen=True)
class Operation:
    """One queued entity operation; `parent` is the calling orchestration of a `call_entity`."""

    name: str
    input_json: str | None
    request_id: str
    signal: bool = True
    parent: str | None = None
    parent_execution: str | None = None

    def to_payload(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Operation:
        return cls(**payload)


@dataclass(frozen=True)
class BatchResult:
    """An operation's outcome and the entity's state after it (None when it no longer exists)."""

    result_json: str
    is_error: bool
    state: str | None
    exists: bool


def run_operation(
    function: EntityFunction, instance_id: str, state: str | None, operation: Operation
) -> BatchResult:
    """Run one operation through the entity function, as a batch of one."""
    name, key = split_entity_id(instance_id)
    context = {
        "self": {"name": name, "key": key},
        "exists": state is not None,
        "state": state,
        "batch": [
            {
                "id": operation.request_id,
                "name": operation.name,
                "signal": operation.signal,
                "input": json.dumps(operation.input_json or "null"),
            }
        ],
    }
    try:
        answer = json.loads(function(json.dumps(context)))
    except Exception as exc:  # the SDK's own error handling failed: the operation fails, state kept
        log.exception("entity %s failed outside the SDK's error handling", instance_id)
        return BatchResult(json.dumps(f"{type(exc).__name__}: {exc}"), True, state, state is not None)
    [outcome] = answer["results"]
    exists = bool(answer["entityExists"])
    return BatchResult(
        outcome["result"], bool(outcome["isError"]), answer["entityState"] if exists else None, exists
    )


def response_json(result: BatchResult) -> str:
    """The EventRaised input that answers a `call_entity` (ResponseMessage.from_dict reads it)."""
    response: dict[str, Any] = {"result": result.result_json}
    if result.is_error:
        response["exceptionType"] = "System.Exception"
    return json.dumps(response)
