"""One emulator process for the folder; each test starts from a reset emulator."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai
import pytest
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

from local.processes import Service
from tests.support.emulator import EmulatorAdmin, running_emulator
from tuning.credentials import StaticTokenCredential

API_VERSION = "2025-04-01-preview"
SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    with running_emulator(tmp_path_factory.mktemp("aoai"), job_seconds=2.0, deploy_seconds=0.5) as service:
        yield service


@pytest.fixture
def admin(emulator: Service) -> EmulatorAdmin:
    return EmulatorAdmin.fresh(emulator)


def azure_openai(service: Service, **options: Any) -> openai.AzureOpenAI:
    return openai.AzureOpenAI(
        azure_endpoint=service.url, api_key=service.extra["api_key"], api_version=API_VERSION, **options
    )


def v1_openai(service: Service, **options: Any) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{service.url}/openai/v1/", api_key=service.extra["api_key"], **options)


def arm_client(
    service: Service, token: str | None = None, subscription: str = SUBSCRIPTION, **options: Any
) -> CognitiveServicesManagementClient:
    """options reach azure-core's policies, e.g. retry_status (3 by default) for throttling tests."""
    credential = StaticTokenCredential(token or service.extra["api_key"])
    return CognitiveServicesManagementClient(credential, subscription, base_url=service.url, **options)


@pytest.fixture(params=["azure", "v1"])
def client(request: pytest.FixtureRequest, emulator: Service, admin: EmulatorAdmin) -> openai.OpenAI:
    """Both ways a script points the openai SDK at Azure OpenAI."""
    make = azure_openai if request.param == "azure" else v1_openai
    return make(emulator, max_retries=0)


@pytest.fixture
def arm(emulator: Service, admin: EmulatorAdmin) -> CognitiveServicesManagementClient:
    return arm_client(emulator)
