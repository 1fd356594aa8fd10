"""Steer a running emulator (started with local.aoai.launch.start_emulator) from tests.

`EmulatorAdmin` wraps the `/_emulator/` admin routes so tests read state, set faults and read
the chat log through one typed client instead of hand-built HTTP calls.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from local.aoai import chatlog
from local.aoai.launch import start_emulator
from local.processes import Service


class EmulatorAdmin:
    """A small client for the emulator's admin routes (they need the API key too)."""

    def __init__(self, url: str, api_key: str) -> None:
        self._url = url.rstrip("/")
        self._api_key = api_key

    @classmethod
    def of(cls, service: Service) -> EmulatorAdmin:
        """The admin client of an emulator started by start_emulator."""
        return cls(service.url, service.extra["api_key"])

    @classmethod
    def fresh(cls, service: Service) -> EmulatorAdmin:
        """The admin client of an emulator just reset: no records, no faults, the real clock."""
        admin = cls.of(service)
        admin.reset()
        return admin

    def _call(self, method: str, route: str, body: Mapping[str, Any] | None = None) -> dict[str, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self._url}/_emulator/{route}",
            data=data,
            method=method,
            headers={"api-key": self._api_key, "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def state(self) -> dict[str, Any]:
        """{"files": [...], "uploads": [...], "jobs": [...], "deployments": [...], "faults": {...}}."""
        return self._call("GET", "state")

    def reset(self) -> None:
        self._call("POST", "reset", {})

    def set_faults(
        self, *, groups: Mapping[str, Mapping[str, float]] | None = None, retry_after_ms: int | None = None
    ) -> dict[str, Any]:
        """groups: {"files"|"jobs"|"chat"|"arm"|"all": {"rate_429"|...|"rate_disconnect": probability}}.

        A rate of 0 switches that fault off; `retry_after_ms` is the delay advertised with 429 and 503.
        """
        body: dict[str, Any] = {"groups": dict(groups or {})}
        if retry_after_ms is not None:
            body["retry_after_ms"] = retry_after_ms
        return self._call("POST", "faults", body)

    def clear_faults(self) -> dict[str, Any]:
        return self.set_faults(
            groups={"all": {"rate_429": 0, "rate_500": 0, "rate_503": 0, "rate_disconnect": 0}}
        )

    def fail_next_job(
        self,
        count: int = 1,
        code: str = "internal_error",
        message: str = "The fine-tuning job failed (injected by the emulator).",
    ) -> dict[str, Any]:
        return self._call("POST", "jobs/fail-next", {"count": count, "code": code, "message": message})

    def deployment_not_ready_seconds(self, seconds: float, deployment: str | None = None) -> dict[str, Any]:
        """Keep answering DeploymentNotReady `seconds` after Succeeded: one deployment, or all later ones."""
        body: dict[str, Any] = {"seconds": seconds}
        if deployment is not None:
            body["deployment"] = deployment
        return self._call("POST", "deployments/not-ready", body)

    def advance_clock(self, seconds: float) -> float:
        """Move the emulator's time forward (expiries, job progress); reset() moves it back."""
        return float(self._call("POST", "clock", {"advance": seconds})["offset"])

    def chat_log(self) -> list[dict[str, Any]]:
        """Every answered chat completion, oldest first: [{deployment, model, messages_sha256, at}]."""
        return list(self._call("GET", "chat-log")["requests"])

    def chat_counts(self) -> dict[tuple[str, str], int]:
        """How often each (deployment, messages_sha256) was answered; see messages_sha256()."""
        counts: dict[tuple[str, str], int] = {}
        for entry in self._call("GET", "chat-log")["counts"]:
            key = (entry["deployment"], entry["messages_sha256"])
            counts[key] = counts.get(key, 0) + entry["count"]
        return counts

    def operations(self) -> list[dict[str, str]]:
        """The spec operations the emulator serves: [{surface, method, path, operation_id}]."""
        return list(self._call("GET", "operations")["operations"])


@contextmanager
def running_emulator(work_dir: Path, **options: Any) -> Iterator[Service]:
    """An emulator process for a fixture's scope (options as start_emulator takes them)."""
    service = start_emulator(work_dir, **options)
    try:
        yield service
    finally:
        service.stop()


def messages_sha256(messages: list[Any]) -> str:
    """The hash the emulator's chat log keeps for a request's messages."""
    return chatlog.messages_sha256(messages)
