"""ARM deployments through azure-mgmt-cognitiveservices and raw HTTP, LRO monitors included."""

from __future__ import annotations

import time

import httpx2
import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from azure.mgmt.cognitiveservices.models import (
    Deployment,
    DeploymentModel,
    DeploymentProperties,
    PatchResourceTagsAndSku,
    Sku,
)

from tests.contract.conftest import ACCOUNT, ACCOUNT_PATH, RESOURCE_GROUP
from tests.contract.coverage import covers

DEPLOYMENTS = (
    "Deployments_CreateOrUpdate",
    "Deployments_Get",
    "Deployments_List",
    "Deployments_Update",
    "Deployments_Delete",
)
MONITORS = ("AsyncOperation_Status", "AsyncOperation_Result")


def body(name: str = "gpt-4o", version: str | None = "2024-08-06", sku: str = "Standard") -> Deployment:
    model = DeploymentModel(format="OpenAI", name=name, version=version)
    return Deployment(sku=Sku(name=sku, capacity=1), properties=DeploymentProperties(model=model))


@covers(arm=(*DEPLOYMENTS, *MONITORS))
def test_deployment_lifecycle_through_the_sdk(arm: CognitiveServicesManagementClient) -> None:
    arm.deployments.begin_create_or_update(
        RESOURCE_GROUP, ACCOUNT, "web", body(), enforce_https=False
    ).result()
    arm.deployments.begin_create_or_update(
        RESOURCE_GROUP, ACCOUNT, "web", body("gpt-4o-mini", "2024-07-18"), enforce_https=False
    ).result()
    assert [d.name for d in arm.deployments.list(RESOURCE_GROUP, ACCOUNT, enforce_https=False)] == ["web"]
    tags_only = PatchResourceTagsAndSku(tags={"owner": "contract"})
    arm.deployments.begin_update(RESOURCE_GROUP, ACCOUNT, "web", tags_only, enforce_https=False).result()
    resized = PatchResourceTagsAndSku(sku=Sku(name="GlobalStandard", capacity=2))
    arm.deployments.begin_update(RESOURCE_GROUP, ACCOUNT, "web", resized, enforce_https=False).result()
    assert arm.deployments.get(RESOURCE_GROUP, ACCOUNT, "web", enforce_https=False).sku == Sku(
        name="GlobalStandard", capacity=2
    )
    arm.deployments.begin_delete(RESOURCE_GROUP, ACCOUNT, "web", enforce_https=False).result()
    arm.deployments.begin_delete(
        RESOURCE_GROUP, ACCOUNT, "web", enforce_https=False
    ).result()  # already gone: 204


@covers(arm=("Deployments_CreateOrUpdate", *MONITORS))
def test_lro_monitors_while_running_and_after(arm_http: httpx2.Client) -> None:
    model = {"format": "OpenAI", "name": "gpt-4o", "version": "2024-08-06"}
    created = arm_http.put(
        f"{ACCOUNT_PATH}/deployments/raw", json={"sku": {"name": "Standard"}, "properties": {"model": model}}
    )
    assert created.status_code == 201
    status_url, result_url = created.headers["azure-asyncoperation"], created.headers["location"]
    assert arm_http.get(status_url, params={}).json()["status"] == "InProgress"
    assert arm_http.get(result_url, params={}).status_code == 202
    time.sleep(0.3)
    assert arm_http.get(status_url, params={}).json()["status"] == "Succeeded"
    assert arm_http.get(result_url, params={}).json()["properties"]["provisioningState"] == "Succeeded"


@covers(arm=DEPLOYMENTS)
def test_arm_refusals(arm: CognitiveServicesManagementClient, arm_http: httpx2.Client) -> None:
    for bad in (body(version="1"), body(sku="DeveloperTier"), body(name="gpt-4o-2024-08-06", version=None)):
        with pytest.raises(HttpResponseError):
            arm.deployments.begin_create_or_update(RESOURCE_GROUP, ACCOUNT, "bad", bad, enforce_https=False)
    with pytest.raises(ResourceNotFoundError):
        arm.deployments.get(RESOURCE_GROUP, ACCOUNT, "missing", enforce_https=False)
    with pytest.raises(ResourceNotFoundError):
        arm.deployments.begin_update(
            RESOURCE_GROUP, ACCOUNT, "missing", PatchResourceTagsAndSku(tags={}), enforce_https=False
        )
    assert (
        arm_http.get(f"{ACCOUNT_PATH}/deployments", params={"api-version": "2024-10-21"}).status_code == 400
    )
    assert (
        arm_http.get(f"{ACCOUNT_PATH}/deployments", headers={"Authorization": "Bearer wrong"}).status_code
        == 401
    )
    assert arm_http.put(f"{ACCOUNT_PATH}/deployments/x", content=b"{not json").status_code == 400
    assert arm_http.delete(f"{ACCOUNT_PATH}/deployments/never").status_code == 204
