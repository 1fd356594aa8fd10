"""Activities run for real: Azurite for the datasets and reports, the emulator for Azure OpenAI
and ARM, the real clients built from settings the way the function app builds them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import function_app
from local.aoai.launch import start_emulator
from local.host.indexing import index
from local.processes import REPO, Service
from tests.support.emulator import EmulatorAdmin
from tuning.clients import Clients, shared_clients

SAMPLE = REPO / "data" / "sample"


@pytest.fixture(scope="session")
def pipeline_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    service = start_emulator(tmp_path_factory.mktemp("aoai-pipeline"), job_seconds=2.0, deploy_seconds=0.5)
    yield service
    service.stop()


@pytest.fixture
def admin(pipeline_emulator: Service) -> EmulatorAdmin:
    admin = EmulatorAdmin(pipeline_emulator.url, pipeline_emulator.extra["api_key"])
    admin.reset()
    return admin


@pytest.fixture
def app_env(
    monkeypatch: pytest.MonkeyPatch, azurite: Service, pipeline_emulator: Service, admin: EmulatorAdmin
) -> Iterator[dict[str, str]]:
    """The app settings of a local run; each test gets its own container."""
    key = pipeline_emulator.extra["api_key"]
    env = {
        "AzureWebJobsStorage": azurite.extra["connection_string"],
        "FT_CONTAINER": f"ft-{uuid.uuid4().hex[:12]}",
        "AZURE_OPENAI_ENDPOINT": pipeline_emulator.url,
        "AZURE_OPENAI_API_KEY": key,
        "FT_EMULATOR_TOKEN": key,
        "AZURE_RESOURCE_MANAGER_ENDPOINT": pipeline_emulator.url,
        "AZURE_SUBSCRIPTION_ID": "00000000-0000-0000-0000-000000000000",
        "AZURE_RESOURCE_GROUP": "local",
        "AZURE_OPENAI_ACCOUNT": "emulator",
        "FT_TRAINING_PRICES": '{"gpt-4o-2024-08-06": 25.0}',
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    shared_clients.cache_clear()
    yield env
    shared_clients.cache_clear()


@pytest.fixture
def clients(app_env: dict[str, str]) -> Clients:
    clients = shared_clients()
    clients.store.ensure_container()
    return clients


def upload_run(clients: Clients, run: str, files: dict[str, bytes | Path]) -> None:
    for name, data in files.items():
        content = data.read_bytes() if isinstance(data, Path) else data
        clients.store.container.upload_blob(f"incoming/{run}/{name}", content, overwrite=True)


def activity(name: str):
    """The activity's user function, from the app's own metadata as the dev host indexes it."""
    return index(function_app.app).activities[name].function
