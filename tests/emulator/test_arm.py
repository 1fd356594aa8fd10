"""The ARM deployment routes through azure-mgmt-cognitiveservices."""

from __future__ import annotations

import pytest
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

from local.processes import Service
from tests.emulator.conftest import arm_client
from tests.emulator.flows import ACCOUNT, RESOURCE_GROUP, deploy

NO_TLS = {"enforce_https": False}


def test_create_get_list_delete(arm: CognitiveServicesManagementClient) -> None:
    created = deploy(arm, "chat", "gpt-4o", sku="standard", capacity=2)
    assert created.properties.provisioning_state == "Succeeded"
    assert created.sku.name == "Standard" and created.sku.capacity == 2
    assert created.id.endswith(
        f"/resourceGroups/{RESOURCE_GROUP}/providers/Microsoft.CognitiveServices"
        f"/accounts/{ACCOUNT}/deployments/chat"
    )

    fetched = arm.deployments.get(RESOURCE_GROUP, ACCOUNT, "chat", **NO_TLS)
    assert fetched.properties.model.name == "gpt-4o" and fetched.properties.model.format == "OpenAI"
    assert [d.name for d in arm.deployments.list(RESOURCE_GROUP, ACCOUNT, **NO_TLS)] == ["chat"]

    updated = deploy(arm, "chat", "gpt-4o-mini")
    assert updated.properties.model.name == "gpt-4o-mini"

    arm.deployments.begin_delete(RESOURCE_GROUP, ACCOUNT, "chat", **NO_TLS).result(timeout=20)
    assert list(arm.deployments.list(RESOURCE_GROUP, ACCOUNT, **NO_TLS)) == []
    with pytest.raises(ResourceNotFoundError) as missing:
        arm.deployments.get(RESOURCE_GROUP, ACCOUNT, "chat", **NO_TLS)
    assert missing.value.error.code == "DeploymentNotFound"


@pytest.mark.parametrize(
    ("model", "sku", "capacity", "code"),
    [
        ("gpt-4o-2024-08-06.ft-0000-unknown", "Standard", 1, "DeploymentModelNotSupported"),
        ("gpt-4o", "Cheapest", 1, "InvalidSkuName"),
        ("gpt-4o", "Standard", 0, "InvalidCapacity"),
    ],
)
def test_invalid_deployment_is_refused_with_arm_error(
    arm: CognitiveServicesManagementClient, model: str, sku: str, capacity: int, code: str
) -> None:
    with pytest.raises(HttpResponseError) as refused:
        deploy(arm, "bad", model, sku=sku, capacity=capacity)
    assert refused.value.status_code == 400
    assert refused.value.error.code == code


def test_wrong_token_is_rejected(emulator: Service) -> None:
    with pytest.raises(ClientAuthenticationError) as denied:
        arm_client(emulator, token="not-the-key").deployments.get(RESOURCE_GROUP, ACCOUNT, "x", **NO_TLS)
    assert denied.value.status_code == 401
    assert denied.value.error.code == "InvalidAuthenticationToken"
