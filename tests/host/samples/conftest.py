"""Sample apps run unchanged on the dev host as a real process, one host per app and test module."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from local.host.launch import start_devhost
from local.processes import Service
from tests.host.support import KEY

APPS = Path(__file__).parent / "apps"

StartHost = Callable[..., Service]


@pytest.fixture(scope="module")
def sample_host(azurite: Service, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StartHost]:
    """`sample_host("chaining")` starts (once per module) the dev host on that sample app.

    `copy=True` runs a copy of the app in a fresh folder (for tests that edit host.json), and
    `env` adds app settings; every host started is stopped when the module ends.
    """
    started: dict[str, Service] = {}

    def start(
        name: str, *, copy: bool = False, env: dict[str, str] | None = None, fresh: bool = False
    ) -> Service:
        cache_key = f"{name}-{sorted((env or {}).items())}"
        if cache_key in started and not fresh:
            return started[cache_key]
        work_dir = tmp_path_factory.mktemp(name)
        app_dir = APPS / name
        if copy:
            app_dir = work_dir / "app"
            shutil.copytree(APPS / name, app_dir)
        settings = {
            "AzureWebJobsStorage": azurite.extra["connection_string"],
            "BLOB_CONTAINER": f"samples-{uuid.uuid4().hex[:8]}",
            **(env or {}),
        }
        service = start_devhost(work_dir, app_dir, env=settings, function_key=KEY, poll_seconds=0.2)
        service.extra.update(app_dir=app_dir, work_dir=work_dir, settings=settings)
        started[f"{cache_key}-{len(started)}" if fresh else cache_key] = service
        return service

    yield start
    for service in started.values():
        service.stop()
