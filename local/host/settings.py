"""App settings the way `func start` provides them: local.settings.json, host.json, %NAME% placeholders."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_BODY_LIMIT",
    "DEFAULT_HUB",
    "BodyLimitError",
    "HostJsonError",
    "HostSettings",
    "load_local_settings",
    "read_host_json",
    "request_body_limit",
    "resolve",
]

_PLACEHOLDER = re.compile(r"%([^%]+)%")
DEFAULT_HUB = "DevHostHub"
DEFAULT_BODY_LIMIT = 100 * 1024 * 1024
"""The host's HTTP request body limit in bytes, unless FUNCTIONS_REQUEST_BODY_SIZE_LIMIT sets another."""

BODY_LIMIT_SETTING = "FUNCTIONS_REQUEST_BODY_SIZE_LIMIT"
_MATCH_STRATEGIES = ("None", "Strict", "CurrentOrOlder")
_FAILURE_STRATEGIES = ("Reject", "Fail")


class BodyLimitError(ValueError):
    """FUNCTIONS_REQUEST_BODY_SIZE_LIMIT is not a positive number of bytes."""


class HostJsonError(ValueError):
    """host.json is not a JSON object with `"version": "2.0"` (the Functions host refuses it too)."""


def read_host_json(app_dir: Path) -> dict[str, Any]:
    """The app's host.json (an empty one when there is none), checked as the Functions host checks it."""
    path = app_dir / "host.json"
    if not path.exists():
        return {}
    try:
        host = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise HostJsonError(
            f"{path}: line {exc.lineno} column {exc.colno}: {exc.msg} (cannot parse host.json)"
        ) from None
    if not isinstance(host, dict) or host.get("version") != "2.0":
        raise HostJsonError(
            f"{path}: the 'version' property must be \"2.0\" (see https://aka.ms/functions-hostjson)"
        )
    return host


def load_local_settings(app_dir: Path) -> None:
    """Copy `Values` of local.settings.json into the environment; variables already set win."""
    path = app_dir / "local.settings.json"
    if not path.exists():
        return
    for name, value in json.loads(path.read_text()).get("Values", {}).items():
        os.environ.setdefault(name, str(value))


def resolve(text: str) -> str:
    """Replace %NAME% with the app setting NAME, as binding expressions do."""

    def setting(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise KeyError(f"app setting '{name}' (used as %{name}% in '{text}') is not set")
        return os.environ[name]

    return _PLACEHOLDER.sub(setting, text)


def request_body_limit() -> int:
    """The largest HTTP request body the host accepts, in bytes (FUNCTIONS_REQUEST_BODY_SIZE_LIMIT)."""
    text = os.environ.get(BODY_LIMIT_SETTING, "").strip()
    if not text:
        return DEFAULT_BODY_LIMIT
    if not text.isdigit() or int(text) <= 0:
        raise BodyLimitError(f"{BODY_LIMIT_SETTING}={text!r}: expected a positive number of bytes")
    return int(text)


def _choice(durable: dict[str, Any], key: str, choices: tuple[str, ...], default: str) -> str:
    """A host.json enum setting, matched case-insensitively like the extension's options binder."""
    value = durable.get(key)
    if value is None:
        return default
    for choice in choices:
        if str(value).lower() == choice.lower():
            return choice
    raise ValueError(
        f"host.json extensions.durableTask.{key}={value!r}: expected one of {', '.join(choices)}"
    )


@dataclass(frozen=True)
class HostSettings:
    """The host.json settings the dev host honours (`extensions.durableTask`)."""

    hub_name: str = DEFAULT_HUB
    max_concurrent_activities: int = 10
    default_version: str | None = None
    version_match_strategy: str = "CurrentOrOlder"
    version_failure_strategy: str = "Reject"

    @classmethod
    def load(cls, app_dir: Path) -> HostSettings:
        durable = read_host_json(app_dir).get("extensions", {}).get("durableTask", {})
        try:
            hub = resolve(durable.get("hubName", DEFAULT_HUB))
        except KeyError:
            hub = DEFAULT_HUB  # the real host falls back to a default hub name too
        version = durable.get("defaultVersion")
        return cls(
            hub_name=hub or DEFAULT_HUB,
            max_concurrent_activities=int(durable.get("maxConcurrentActivityFunctions", 10)),
            default_version=str(version) if version not in (None, "") else None,
            version_match_strategy=_choice(
                durable, "versionMatchStrategy", _MATCH_STRATEGIES, "CurrentOrOlder"
            ),
            version_failure_strategy=_choice(
                durable, "versionFailureStrategy", _FAILURE_STRATEGIES, "Reject"
            ),
        )
