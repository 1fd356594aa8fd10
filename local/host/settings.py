"""App settings the way `func start` provides them: local.settings.json, host.json, %NAME% placeholders."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

_PLACEHOLDER = re.compile(r"%([^%]+)%")
DEFAULT_HUB = "DevHostHub"


def load_local_settings(app_dir: Path) -> None:
    """Copy `Values` of local.settings.json into the environment; variables already set win."""
    path = app_dir / "local.settings.json"
    if not path.exists():
        return
    for name, value in json.loads(path.read_text()).get("Values", {}).items():
        os.environ.setdefault(name, str(value))


def resolve(text: str) -> str:
    """Replace %NAME% with the app setting NAME, as binding expressions do."""

    def setting(match: re.Match) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise KeyError(f"app setting '{name}' (used as %{name}% in '{text}') is not set")
        return os.environ[name]

    return _PLACEHOLDER.sub(setting, text)


@dataclass(frozen=True)
class HostSettings:
    """The host.json settings the dev host honours."""

    hub_name: str = DEFAULT_HUB
    max_concurrent_activities: int = 10

    @classmethod
    def load(cls, app_dir: Path) -> HostSettings:
        path = app_dir / "host.json"
        durable = (
            json.loads(path.read_text()).get("extensions", {}).get("durableTask", {}) if path.exists() else {}
        )
        try:
            hub = resolve(durable.get("hubName", DEFAULT_HUB))
        except KeyError:
            hub = DEFAULT_HUB  # the real host falls back to a default hub name too
        return cls(
            hub_name=hub or DEFAULT_HUB,
            max_concurrent_activities=int(durable.get("maxConcurrentActivityFunctions", 10)),
        )
