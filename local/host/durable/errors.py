"""What the engine refuses, with the status and body the Durable HTTP API answers for it.

The extension's handler answers 404 and 410 with an empty body and its other refusals with an
`HttpError` JSON body (`Message`, `ExceptionMessage`); each class below carries which.
"""

from __future__ import annotations

__all__ = [
    "DurableError",
    "EntityNotFound",
    "InstanceExists",
    "InstanceGone",
    "InstanceNotFound",
    "InvalidOperation",
    "RestartTargetNotFound",
    "UnknownOrchestrator",
]

_INTERNAL = "Something went wrong while processing your request"


class DurableError(Exception):
    """A client request the engine refuses; `status` and `message` are the HTTP API's answer."""

    status = 400
    message: str | None = "One or more of the arguments submitted is incorrect"


class UnknownOrchestrator(DurableError):
    pass


class RestartTargetNotFound(DurableError):
    message = "InstanceId does not match a valid orchestration instance."


class InstanceExists(DurableError):
    """Starting an id whose instance still runs (`overridableExistingInstanceStates`: NonRunningStates)."""

    status = 500
    message = _INTERNAL


class InvalidOperation(DurableError):
    """Suspend, resume or rewind of an instance in a state that does not allow it."""

    status = 500
    message = _INTERNAL


class InstanceNotFound(DurableError):
    status = 404
    message = None


class InstanceGone(DurableError):
    status = 410
    message = None


class EntityNotFound(DurableError):
    """No entity function by that name (the documented answer to a signal is 404)."""

    status = 404
    message = "The specified entity function was not found"
