"""Fault injection: what can go wrong on purpose, per route group.

Callers of a cloud service must survive throttling, server errors and connections that die
without an answer. Each route group (files, jobs, chat, arm) has its own probabilities so a
test can, say, throttle only ARM. Forced job failures and the DeploymentNotReady window
reproduce two things Azure does that retries alone do not fix.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["GROUPS", "KINDS", "DroppedConnection", "Faults", "GroupFaults"]

GROUPS = ("files", "jobs", "chat", "arm")
KINDS = ("rate_429", "rate_500", "rate_503", "rate_disconnect")


class DroppedConnection(ConnectionResetError):
    """Raised after the transport is aborted, so no layer tries to answer the request in between."""


@dataclass
class GroupFaults:
    rate_429: float = 0.0
    rate_500: float = 0.0
    rate_503: float = 0.0
    rate_disconnect: float = 0.0


@dataclass
class Faults:
    """Settable at start (flags, env) and at run time (`/_emulator/faults`)."""

    groups: dict[str, GroupFaults] = field(default_factory=lambda: {g: GroupFaults() for g in GROUPS})
    retry_after_ms: int = 100
    deployment_not_ready_seconds: float = 0.0
    job_failures: list[dict[str, str]] = field(default_factory=list)
    seed: int | None = None

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def roll(self, group: str) -> str | None:
        """The fault to inject for one request of `group`, or None."""
        rates = self.groups[group]
        draw = self._rng.random()
        for kind in KINDS:
            rate = getattr(rates, kind)
            if draw < rate:
                return kind
            draw -= rate
        return None

    def set_rate(self, kind: str, value: float, groups: tuple[str, ...] = GROUPS) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown fault {kind!r}; expected one of {', '.join(KINDS)}")
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{kind} must be a probability between 0 and 1, not {value}")
        for group in groups:
            if group not in GROUPS:
                raise ValueError(f"unknown route group {group!r}; expected one of {', '.join(GROUPS)}")
            setattr(self.groups[group], kind, value)

    def update(self, body: dict[str, Any]) -> None:
        """Merge an admin request: {"groups": {"arm": {"rate_429": 0.3}} or "all": {...}, ...}."""
        for group, rates in (body.get("groups") or {}).items():
            targets = GROUPS if group == "all" else (group,)
            for kind, value in rates.items():
                self.set_rate(kind, float(value), targets)
        if "retry_after_ms" in body:
            self.retry_after_ms = max(0, int(body["retry_after_ms"]))
        if "deployment_not_ready_seconds" in body:
            self.deployment_not_ready_seconds = max(0.0, float(body["deployment_not_ready_seconds"]))

    def fail_next_job(self, code: str, message: str, count: int = 1) -> None:
        self.job_failures.extend({"code": code, "message": message} for _ in range(count))

    def take_job_failure(self) -> dict[str, str] | None:
        return self.job_failures.pop(0) if self.job_failures else None

    def retry_after_headers(self) -> dict[str, str]:
        """Every spelling Azure sends with a throttle: `retry-after-ms` and `x-ms-retry-after-ms`
        (which the openai SDK and azure-core read first) and `Retry-After` in whole seconds."""
        return {
            "retry-after-ms": str(self.retry_after_ms),
            "x-ms-retry-after-ms": str(self.retry_after_ms),
            "Retry-After": str(max(1, -(-self.retry_after_ms // 1000))),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "groups": {g: asdict(r) for g, r in self.groups.items()},
            "retry_after_ms": self.retry_after_ms,
            "deployment_not_ready_seconds": self.deployment_not_ready_seconds,
            "pending_job_failures": len(self.job_failures),
        }
