"""Refusals any operation can answer: a wrong key, throttling, server errors; each in its surface's shape."""

from __future__ import annotations

import httpx2
import openai
import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

from tests.contract.conftest import ACCOUNT, RESOURCE_GROUP
from tests.contract.coverage import covers
from tests.support.emulator import EmulatorAdmin


@covers(azure=("Files_List", "FineTuning_List"), v1=("listFiles", "listPaginatedFineTuningJobs"))
def test_wrong_key_throttling_and_server_errors(client: openai.OpenAI, admin: EmulatorAdmin) -> None:
    assert client.files.list().data == []
    assert client.fine_tuning.jobs.list().data == []
    client.api_key = "wrong"
    with pytest.raises(openai.AuthenticationError):
        client.files.list()
    client.api_key = admin._api_key
    for fault, error in (
        ("rate_429", openai.RateLimitError),
        ("rate_500", openai.InternalServerError),
        ("rate_503", openai.InternalServerError),
    ):
        admin.set_faults(groups={"jobs": {fault: 1.0}})
        with pytest.raises(error):
            client.fine_tuning.jobs.list()
        admin.clear_faults()


@covers(azure=("ChatCompletions_Create",), v1=("createChatCompletion",))
def test_chat_refuses_a_missing_body_and_is_throttled(
    http: httpx2.Client, style: str, admin: EmulatorAdmin
) -> None:
    path = "/deployments/any/chat/completions" if style == "azure" else "/chat/completions"
    assert (
        http.post(path, content=b"not json", headers={"content-type": "application/json"}).status_code == 400
    )
    admin.set_faults(groups={"chat": {"rate_429": 1.0}})
    throttled = http.post(path, json={"model": "any", "messages": [{"role": "user", "content": "hi"}]})
    assert throttled.status_code == 429 and throttled.headers["retry-after"]


@covers(arm=("Deployments_List",))
def test_arm_throttling(arm: CognitiveServicesManagementClient, admin: EmulatorAdmin) -> None:
    assert list(arm.deployments.list(RESOURCE_GROUP, ACCOUNT, enforce_https=False)) == []
    admin.set_faults(groups={"arm": {"rate_429": 1.0}}, retry_after_ms=10)
    with pytest.raises(HttpResponseError) as throttled:
        list(arm.deployments.list(RESOURCE_GROUP, ACCOUNT, enforce_https=False, retry_total=0))
    assert throttled.value.status_code == 429
    admin.clear_faults()
