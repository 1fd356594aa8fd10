"""The ARM deployment routes through azure-mgmt-cognitiveservices; raw HTTP where the SDK hides the wire."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from azure.mgmt.cognitiveservices.models import PatchResourceTagsAndSku, Sku

from local.aoai.launch import start_emulator
from local.processes import Service
from tests.emulator.conftest import SUBSCRIPTION, arm_client
from tests.emulator.flows import (
    ACCOUNT,
    RESOURCE_GROUP,
    arm_code,
    deploy,
    deploy_base,
    fine_tuned_model,
    train,
)
from tests.support.emulator import EmulatorAdmin

ACCOUNT_PATH = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}"
    f"/providers/Microsoft.CognitiveServices/accounts/{ACCOUNT}"
)
PROVISIONING_STATES = {
    "Accepted",
    "Creating",
    "Deleting",
    "Moving",
    "Failed",
    "Succeeded",
    "Disabled",
    "Canceled",
}


def raw_arm(
    emulator: Service, method: str, path: str, version: str | None = "2024-10-01", body: Any = None
) -> httpx2.Response:
    params = {"api-version": version} if version else None
    headers = {"Authorization": f"Bearer {emulator.extra['api_key']}"}
    url = path if path.startswith("http") else emulator.url + path
    return httpx2.request(method, url, params=params, headers=headers, json=body, timeout=10)


def fetch(arm: CognitiveServicesManagementClient, name: str, account: str = ACCOUNT) -> dict[str, Any]:
    return dict(arm.deployments.get(RESOURCE_GROUP, account, name, enforce_https=False).as_dict())


def names(arm: CognitiveServicesManagementClient, account: str = ACCOUNT) -> list[str]:
    return [d.name or "" for d in arm.deployments.list(RESOURCE_GROUP, account, enforce_https=False)]


def test_create_get_list_patch_delete(arm: CognitiveServicesManagementClient) -> None:
    created = deploy_base(arm, "chat")
    assert created["properties"]["provisioning_state"] == "Succeeded"
    assert created["properties"]["model"] == {"format": "OpenAI", "name": "gpt-4o", "version": "2024-08-06"}
    assert created["sku"] == {"name": "Standard", "capacity": 1}
    assert created["id"] == f"{ACCOUNT_PATH}/deployments/chat"
    assert fetch(arm, "chat")["properties"]["model"]["name"] == "gpt-4o"
    assert names(arm) == ["chat"]

    assert deploy_base(arm, "chat", "gpt-4o-mini")["properties"]["model"]["name"] == "gpt-4o-mini"

    patch = PatchResourceTagsAndSku(sku=Sku(name="GlobalStandard", capacity=3), tags={"team": "ft"})
    poller = arm.deployments.begin_update(RESOURCE_GROUP, ACCOUNT, "chat", patch, enforce_https=False)
    patched = poller.result(timeout=20).as_dict()
    assert (patched["sku"], patched["tags"]) == ({"name": "GlobalStandard", "capacity": 3}, {"team": "ft"})
    assert patched["properties"]["provisioning_state"] == "Succeeded"

    arm.deployments.begin_delete(RESOURCE_GROUP, ACCOUNT, "chat", enforce_https=False).result(timeout=20)
    assert names(arm) == []
    with pytest.raises(ResourceNotFoundError) as missing:
        fetch(arm, "chat")
    assert arm_code(missing.value) == "DeploymentNotFound"


def test_accounts_do_not_share_deployments(emulator: Service, arm: CognitiveServicesManagementClient) -> None:
    deploy_base(arm, "mine")
    assert names(arm, "other-account") == []
    other_subscription = arm_client(emulator, subscription="11111111-1111-1111-1111-111111111111")
    assert names(other_subscription) == []
    with pytest.raises(ResourceNotFoundError):
        fetch(arm, "mine", "other-account")
    deploy(arm, "mine", "gpt-4o-mini", version="2024-07-18", account="other-account")
    assert fetch(arm, "mine")["properties"]["model"]["name"] == "gpt-4o"
    assert fetch(arm, "mine", "other-account")["properties"]["model"]["name"] == "gpt-4o-mini"


def test_the_returned_id_is_the_request_url(
    emulator: Service, arm: CognitiveServicesManagementClient
) -> None:
    deploy_base(arm, "cased")
    shouted = ACCOUNT_PATH.replace(RESOURCE_GROUP, RESOURCE_GROUP.upper()).replace(ACCOUNT, ACCOUNT.upper())
    response = raw_arm(emulator, "GET", f"{shouted}/deployments/CASED")
    assert response.status_code == 200 and response.json()["id"] == f"{shouted}/deployments/CASED"
    assert response.json()["name"] == "cased"


@pytest.mark.parametrize(
    ("model", "version", "sku", "capacity", "code"),
    [
        ("gpt-4o", "1", "Standard", 1, "DeploymentModelNotSupported"),  # base models take their real versions
        ("gpt-4o-2024-08-06", None, "Standard", 1, "DeploymentModelNotSupported"),  # ARM names are undated
        ("gpt-4o-2024-08-06.ft-0000-unknown", "1", "Standard", 1, "DeploymentModelNotSupported"),
        ("gpt-4o", "2024-08-06", "DeveloperTier", 1, "InvalidResourceProperties"),  # fine-tuned models only
        ("gpt-4o", "2024-08-06", "Cheapest", 1, "InvalidResourceProperties"),
        ("gpt-4o", "2024-08-06", "Standard", 0, "InvalidResourceProperties"),
    ],
)
def test_invalid_deployment_is_refused_with_arm_error(
    arm: CognitiveServicesManagementClient,
    *,
    model: str,
    version: str | None,
    sku: str,
    capacity: int,
    code: str,
) -> None:
    with pytest.raises(HttpResponseError) as refused:
        deploy(arm, "bad", model, version=version, sku=sku, capacity=capacity)
    assert refused.value.status_code == 400
    assert arm_code(refused.value) == code


def test_fine_tuned_models_deploy_on_their_skus_and_developer_tier_only_for_gpt_41(
    client: openai.OpenAI, arm: CognitiveServicesManagementClient
) -> None:
    gpt4o = fine_tuned_model(train(client))
    assert deploy(arm, "ft-global", gpt4o, sku="GlobalStandard")["sku"]["name"] == "GlobalStandard"
    with pytest.raises(HttpResponseError) as refused:
        deploy(arm, "ft-dev", gpt4o, sku="DeveloperTier")
    assert arm_code(refused.value) == "InvalidResourceProperties"
    with pytest.raises(HttpResponseError) as wrong_version:
        deploy(arm, "ft-v2", gpt4o, version="2")
    assert arm_code(wrong_version.value) == "DeploymentModelNotSupported"
    gpt41 = fine_tuned_model(train(client, model="gpt-4.1-mini"))
    assert deploy(arm, "ft-dev", gpt41, sku="developertier")["sku"]["name"] == "DeveloperTier"


def test_api_version_must_belong_to_the_spec_family(emulator: Service, admin: EmulatorAdmin) -> None:
    assert raw_arm(emulator, "GET", f"{ACCOUNT_PATH}/deployments", "2024-10-01").status_code == 200
    assert raw_arm(emulator, "GET", f"{ACCOUNT_PATH}/deployments", "2025-09-01").status_code == 200
    unknown = raw_arm(emulator, "GET", f"{ACCOUNT_PATH}/deployments", "2024-10-21")
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "NoRegisteredProviderFound"
    assert "2024-10-01" in unknown.json()["error"]["message"]
    missing = raw_arm(emulator, "GET", f"{ACCOUNT_PATH}/deployments", None)
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "MissingApiVersionParameter"


def test_put_answers_as_an_arm_long_running_operation(emulator: Service, admin: EmulatorAdmin) -> None:
    model = {"format": "OpenAI", "name": "gpt-4o", "version": "2024-08-06"}
    body = {"sku": {"name": "Standard", "capacity": 1}, "properties": {"model": model}}
    created = raw_arm(emulator, "PUT", f"{ACCOUNT_PATH}/deployments/lro", body=body)
    assert created.status_code == 201 and created.json()["properties"]["provisioningState"] == "Creating"
    assert {"azure-asyncoperation", "location", "retry-after"} <= set(created.headers)
    assert int(created.headers["retry-after"]) >= 1 and "retry-after-ms" not in created.headers
    status = raw_arm(emulator, "GET", created.headers["azure-asyncoperation"], version=None)
    assert status.json()["status"] == "InProgress"
    again = raw_arm(emulator, "PUT", f"{ACCOUNT_PATH}/deployments/lro", body=body)
    assert again.status_code == 200 and again.json()["properties"]["provisioningState"] == "Accepted"
    deleted = raw_arm(emulator, "DELETE", f"{ACCOUNT_PATH}/deployments/lro")
    assert deleted.status_code == 202 and {"azure-asyncoperation", "location"} <= set(deleted.headers)
    assert {d["provisioning_state"] for d in admin.state()["deployments"]} == {"Deleting"}
    assert raw_arm(emulator, "DELETE", f"{ACCOUNT_PATH}/deployments/never-made").status_code == 204


def test_deployment_limits_per_account(tmp_path: Path) -> None:
    service = start_emulator(tmp_path, deploy_seconds=0.2, extra_args=["--max-deployments", "2"])
    try:
        arm = arm_client(service)
        deploy_base(arm, "one")
        deploy_base(arm, "two")
        with pytest.raises(HttpResponseError) as full:
            deploy_base(arm, "three")
        assert arm_code(full.value) == "InsufficientQuota"
        deploy_base(arm, "two", "gpt-4o-mini")  # updating an existing deployment needs no new quota
        deploy(arm, "three", "gpt-4o", version="2024-08-06", account="another")  # another account has its own
    finally:
        service.stop()


def test_wrong_token_is_rejected(emulator: Service) -> None:
    with pytest.raises(ClientAuthenticationError) as denied:
        fetch(arm_client(emulator, token="not-the-key"), "x")
    assert denied.value.status_code == 401
    assert arm_code(denied.value) == "InvalidAuthenticationToken"
