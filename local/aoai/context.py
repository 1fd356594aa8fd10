"""What every handler needs: the settings, the records and the fault switches."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from local.aoai.faults import Faults
from local.aoai.state import Store

DEFAULT_API_KEY = "emulator-key"


@dataclass
class Settings:
    host: str = "127.0.0.1"
    port: int = 8081
    api_key: str = DEFAULT_API_KEY
    job_seconds: float = 30.0
    deploy_seconds: float = 5.0
    state_dir: Path | None = None

    @property
    def file_seconds(self) -> float:
        """How long an upload stays `pending`: a tenth of a job, at most a second."""
        return min(1.0, self.job_seconds / 10)


@dataclass
class Emulator:
    settings: Settings
    faults: Faults
    store: Store = field(default_factory=Store)
    dirty: bool = False

    def changed(self) -> None:
        self.dirty = True

    def flush(self) -> None:
        """Persist after a change when a state directory is configured."""
        if self.dirty and self.settings.state_dir is not None:
            self.store.save(self.settings.state_dir)
        self.dirty = False


EMULATOR = web.AppKey("emulator", Emulator)


def emulator(request: web.Request) -> Emulator:
    return request.app[EMULATOR]
