"""Fixtures shared by every test folder: the local services as real processes."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from local.azurite import start_azurite
from local.processes import Service

# The Durable SDK's coming default: payloads are decoded only into the type the caller names
# (`expected_type`). The whole suite, and the processes it starts, run with it on.
os.environ["AZURE_FUNCTIONS_DURABLE_STRICT_TYPING"] = "1"


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """One Azurite blob service for the session; tests use their own containers or run folders."""
    service = start_azurite(tmp_path_factory.mktemp("azurite"))
    yield service
    service.stop()
