"""Injected faults: the clients' own retries must carry the flow through them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import openai
import pytest

from local.aoai.launch import start_emulator
from local.processes import Service
from tests.emulator.conftest import arm_client, azure_openai, v1_openai
from tests.emulator.flows import chat, deploy, fine_tuned_model, train
from tests.support.emulator import EmulatorAdmin


@pytest.mark.parametrize("make", [azure_openai, v1_openai])
def test_flow_completes_through_30_percent_429s(
    emulator: Service, admin: EmulatorAdmin, make: Callable[..., openai.OpenAI]
) -> None:
    admin.set_faults(groups={"all": {"rate_429": 0.3}}, retry_after_ms=10)
    client = make(emulator, max_retries=30)
    job = train(client)
    assert job.status == "succeeded"
    deploy(arm_client(emulator, retry_total=30, retry_status=30), "throttled", fine_tuned_model(job))
    assert chat(client, "throttled", "Who discovered Antarctica?").startswith("Some chaps")
    assert "429" in emulator.log()


def test_server_errors_and_dropped_connections_are_retried(emulator: Service, admin: EmulatorAdmin) -> None:
    admin.set_faults(
        groups={"files": {"rate_500": 0.15, "rate_503": 0.15, "rate_disconnect": 0.15}}, retry_after_ms=10
    )
    client = v1_openai(emulator, max_retries=30)
    for _ in range(4):
        assert client.files.list(purpose="fine-tune").data == []


def test_faults_without_retries_surface_as_sdk_errors(emulator: Service, admin: EmulatorAdmin) -> None:
    admin.set_faults(groups={"jobs": {"rate_429": 1.0}})
    client = azure_openai(emulator, max_retries=0)
    with pytest.raises(openai.RateLimitError) as throttled:
        client.fine_tuning.jobs.list()
    assert throttled.value.response.headers["retry-after-ms"] == "100"
    assert throttled.value.response.headers["retry-after"] == "1"
    assert throttled.value.code == "tooManyRequests"
    client.files.list()  # other groups are unaffected
    admin.set_faults(groups={"jobs": {"rate_429": 0.0, "rate_disconnect": 1.0}})
    with pytest.raises(openai.APIConnectionError):
        client.fine_tuning.jobs.list()
    assert "GET /openai/fine_tuning/jobs -> dropped" in emulator.log()


def test_faults_can_be_set_at_start(tmp_path: Path) -> None:
    service = start_emulator(
        tmp_path, extra_args=["--fault-503", "chat=1"], env={"AOAI_EMULATOR_FAIL_NEXT_JOBS": "2"}
    )
    try:
        faults = EmulatorAdmin.of(service).state()["faults"]
        assert faults["groups"]["chat"]["rate_503"] == 1.0 and faults["groups"]["files"]["rate_503"] == 0.0
        assert faults["pending_job_failures"] == 2
    finally:
        service.stop()
