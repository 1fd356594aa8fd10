"""What every handler needs: the settings, the records, the chat log and the fault switches."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from local.aoai.chatlog import ChatLog
from local.aoai.faults import Faults
from local.aoai.state import Store

__all__ = ["DEFAULT_API_KEY", "EMULATOR", "Emulator", "Settings", "emulator"]

DEFAULT_API_KEY = "emulator-key"
# Azure OpenAI quotas and limits (articles/ai-foundry/openai/quotas-limits.md): "Max Standard
# deployments per resource: 32", "Max fine-tuned model deployments: 5".
DEFAULT_MAX_DEPLOYMENTS = 32
DEFAULT_MAX_FINE_TUNED_DEPLOYMENTS = 5


@dataclass
class Settings:
    host: str = "127.0.0.1"
    port: int = 8081
    api_key: str = DEFAULT_API_KEY
    job_seconds: float = 30.0
    deploy_seconds: float = 5.0
    state_dir: Path | None = None
    max_deployments: int = DEFAULT_MAX_DEPLOYMENTS
    max_fine_tuned_deployments: int = DEFAULT_MAX_FINE_TUNED_DEPLOYMENTS
    data_plane_account: str | None = None

    @property
    def file_seconds(self) -> float:
        """How long an upload is being processed: a tenth of a job, at most a second."""
        return min(1.0, self.job_seconds / 10)

    @property
    def delete_seconds(self) -> float:
        """How long an ARM delete stays `Deleting`: half a deployment, at most a second."""
        return min(1.0, self.deploy_seconds / 2)


@dataclass
class Emulator:
    settings: Settings
    faults: Faults
    store: Store = field(default_factory=Store)
    chats: ChatLog = field(default_factory=ChatLog)
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
