"""Talking to a dev host process in tests: HTTP calls, polling with the host's log on failure."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any, TypeVar

from local.processes import Service

T = TypeVar("T")

KEY = "test-function-key"
WEBHOOKS = "/runtime/webhooks/durabletask"


def call(
    method: str,
    url: str,
    body: object = None,
    headers: dict[str, str] | None = None,
    raw: bytes | None = None,
) -> tuple[int, dict[str, str], str]:
    """One HTTP request: (status, headers, body text); `body` is sent as JSON, `raw` as is."""
    data = raw if raw is not None else None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        with error:  # closing it closes the connection, which a server may wait for
            return error.code, dict(error.headers), error.read().decode()


def eventually(check: Callable[[], T | None], service: Service, what: str, timeout: float = 20.0) -> T:
    """Poll until check() is truthy; on timeout, fail with the host's log to show why."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what} did not happen within {timeout} s; host log:\n{service.log()[-5000:]}")


def status_of(service: Service, instance_id: str, query: str = "") -> dict[str, Any]:
    code, _, body = call("GET", f"{service.url}{WEBHOOKS}/instances/{instance_id}?code={KEY}{query}")
    status: dict[str, Any] = json.loads(body) if code in (200, 202) else {}
    return status


def wait_for_status(
    service: Service, instance_id: str, status: str = "Completed", timeout: float = 20.0
) -> dict[str, Any]:
    def reached() -> dict[str, Any] | None:
        current = status_of(service, instance_id)
        return current if current.get("runtimeStatus") == status else None

    return eventually(reached, service, f"{instance_id} reaching {status}", timeout)
