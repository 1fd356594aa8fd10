"""One local stack (Azurite, emulator, dev host as real processes) for the end-to-end tests:
the same `LocalStack` that `make demo` runs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.stack import LocalStack, StackOptions
from tests.support.emulator import EmulatorAdmin


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    options = StackOptions(
        job_seconds=6.0,
        deploy_seconds=1.0,
        settle_seconds=1.0,
        poll_min_seconds=0.5,
        poll_max_seconds=2.0,
        function_key="e2e-function-key",
        # one account for the whole suite: room for every run's model and evaluation deployments
        emulator_args=("--max-fine-tuned-deployments", "200", "--max-deployments", "400"),
    )
    stack = LocalStack(tmp_path_factory.mktemp("e2e"), options)
    if not stack.uses_emulator:
        pytest.skip("AZURE_OPENAI_ENDPOINT is set: the end-to-end tests run against the local emulator only")
    stack.start()
    yield stack
    stack.stop()


@pytest.fixture(scope="package")
def emulator(stack: LocalStack) -> EmulatorAdmin:
    return EmulatorAdmin(stack.emulator.url, stack.options.api_key)
