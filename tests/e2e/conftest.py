"""Local stacks (Azurite, emulator, dev host as real processes) for the end-to-end tests: the same
`LocalStack` that `make demo` runs, with timings short enough for a test suite."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from local.stack import LocalStack, StackOptions
from tests.support.emulator import EmulatorAdmin


@contextmanager
def running_stack(work_dir: Path, function_key: str, **options: Any) -> Iterator[LocalStack]:
    """A stack with the suite's timings; one account with room for every run's deployments."""
    settings = {
        "job_seconds": 6.0,
        "deploy_seconds": 1.0,
        "settle_seconds": 1.0,
        "poll_min_seconds": 0.5,
        "poll_max_seconds": 2.0,
        "emulator_args": ("--max-fine-tuned-deployments", "200", "--max-deployments", "400"),
        **options,
    }
    stack = LocalStack(work_dir, StackOptions(function_key=function_key, **settings))
    if not stack.uses_emulator:
        pytest.skip("AZURE_OPENAI_ENDPOINT is set: the end-to-end tests run against the local emulator only")
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    with running_stack(tmp_path_factory.mktemp("e2e"), "e2e-function-key") as started:
        yield started


@pytest.fixture(scope="package")
def emulator(stack: LocalStack) -> EmulatorAdmin:
    return EmulatorAdmin(stack.emulator.url, stack.options.api_key)
