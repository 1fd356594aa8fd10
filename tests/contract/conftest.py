"""One emulator per module; clients whose every exchange is checked against the vendored specs.

A test takes `recorder` (directly or through a client fixture); at teardown every exchange it made
is checked (openapi.py), and each operation its `@covers` claims for the style it ran in must have
been among the conforming ones. The session ends with the coverage per style.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx2
import openai
import pytest
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

from local.processes import Service
from tests.contract.coverage import STYLES, VALIDATED, summary
from tests.contract.openapi import contract
from tests.contract.recording import Recorder
from tests.support.emulator import EmulatorAdmin, running_emulator
from tuning.credentials import StaticTokenCredential

API_VERSION = "2025-04-01-preview"
ARM_API_VERSION = "2025-09-01"
SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
RESOURCE_GROUP, ACCOUNT = "rg-contract", "aoai-contract"
ACCOUNT_PATH = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}"
    f"/providers/Microsoft.CognitiveServices/accounts/{ACCOUNT}"
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "covers(azure, v1, arm): the spec operationIds a contract test exercises"
    )


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if any(VALIDATED.values()):
        for line in summary():
            terminalreporter.write_line(line)


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """One emulator per module, with short lifecycles so a job runs in a second and a half."""
    work_dir = tmp_path_factory.mktemp("aoai-contract")
    with running_emulator(work_dir, job_seconds=1.5, deploy_seconds=0.2) as service:
        yield service


@pytest.fixture
def admin(emulator: Service) -> EmulatorAdmin:
    return EmulatorAdmin.fresh(emulator)


@pytest.fixture(params=["azure", "v1"])
def style(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _claims(request: pytest.FixtureRequest) -> set[str]:
    marker = request.node.get_closest_marker("covers")
    if marker is None:
        return set()
    params = getattr(request.node, "callspec", None)
    ran = params.params.get("style") if params else None
    styles = [ran] if ran else list(STYLES)
    return {op for s in styles for op in marker.kwargs.get(s, ())}


@pytest.fixture
def recorder(request: pytest.FixtureRequest) -> Iterator[Recorder]:
    recorded = Recorder()
    yield recorded
    conforming, problems = set(), []
    for exchange in recorded.exchanges:
        operation, violations = contract().violations(exchange)
        problems += violations
        if operation is not None and not violations:
            conforming.add(operation.operation_id)
            VALIDATED[operation.style].add(operation.operation_id)
    unexercised = sorted(_claims(request) - conforming)
    if unexercised:
        problems.append(f"claimed by @covers but not answered conformingly: {', '.join(unexercised)}")
    if problems:
        pytest.fail("contract violations:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture
def client(emulator: Service, admin: EmulatorAdmin, recorder: Recorder, style: str) -> openai.OpenAI:
    """The openai SDK the way each style is reached: AzureOpenAI, or OpenAI on /openai/v1/."""
    key, http = emulator.extra["api_key"], recorder.http_client()
    if style == "azure":
        return openai.AzureOpenAI(
            azure_endpoint=emulator.url, api_key=key, api_version=API_VERSION, http_client=http, max_retries=0
        )
    return openai.OpenAI(base_url=f"{emulator.url}/openai/v1/", api_key=key, http_client=http, max_retries=0)


@pytest.fixture
def http(emulator: Service, admin: EmulatorAdmin, recorder: Recorder, style: str) -> httpx2.Client:
    """Raw HTTP for what the SDK does not send: the data-plane base of the style, with the key."""
    base = f"{emulator.url}/openai" + ("/v1" if style == "v1" else "")
    params = {"api-version": API_VERSION} if style == "azure" else {}
    return recorder.http_client(base_url=base, params=params, headers={"api-key": emulator.extra["api_key"]})


@pytest.fixture
def arm(emulator: Service, admin: EmulatorAdmin, recorder: Recorder) -> CognitiveServicesManagementClient:
    return CognitiveServicesManagementClient(
        StaticTokenCredential(emulator.extra["api_key"]),
        SUBSCRIPTION,
        base_url=emulator.url,
        raw_response_hook=recorder.arm_hook(),
    )


@pytest.fixture
def arm_http(emulator: Service, admin: EmulatorAdmin, recorder: Recorder) -> httpx2.Client:
    """Raw ARM requests (a bearer token and the spec's api-version)."""
    return recorder.http_client(
        base_url=emulator.url,
        params={"api-version": ARM_API_VERSION},
        headers={"Authorization": f"Bearer {emulator.extra['api_key']}"},
    )
