"""Deploying a model through Azure Resource Manager, and the chat smoke test against it.

Deployments are create-or-update by name; `start_deployment` also looks first, so a repeated
call for a deployment that already serves (or is creating) the same model sends no second PUT.
Neither function blocks on provisioning: the orchestrator waits with durable timers.
"""

from __future__ import annotations

import time

import openai
from azure.core.exceptions import ResourceNotFoundError
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from azure.mgmt.cognitiveservices.models import Deployment, DeploymentModel, DeploymentProperties, Sku

from tuning.errors import service_error_code
from tuning.fine_tuning import Client
from tuning.payloads import DeployInput, DeploymentStatus, SmokeResult

NOT_READY_CODES = {"DeploymentNotFound", "DeploymentNotReady", "http_404"}


class DeploymentTarget:
    def __init__(
        self,
        client: CognitiveServicesManagementClient,
        resource_group: str,
        account: str,
        *,
        allow_http: bool = False,
    ) -> None:
        self.client = client
        self.resource_group = resource_group
        self.account = account
        # azure-core refuses bearer tokens over plain http; only a local emulator is served so.
        self._call_options = {"enforce_https": False} if allow_http else {}

    def status(self, name: str) -> DeploymentStatus | None:
        try:
            found = self.client.deployments.get(self.resource_group, self.account, name, **self._call_options)
        except ResourceNotFoundError:
            return None
        properties = found.properties
        return DeploymentStatus(
            name=found.name,
            model=properties.model.name if properties and properties.model else None,
            provisioning_state=(properties.provisioning_state if properties else None) or "Unknown",
            sku=found.sku.name if found.sku else None,
            capacity=found.sku.capacity if found.sku else None,
        )

    def start(self, request: DeployInput) -> DeploymentStatus:
        current = self.status(request.name)
        if (
            current
            and current.model == request.model
            and current.provisioning_state in ("Creating", "Accepted", "Succeeded", "Updating")
        ):
            return current
        deployment = Deployment(
            sku=Sku(name=request.sku, capacity=request.capacity),
            properties=DeploymentProperties(
                model=DeploymentModel(format="OpenAI", name=request.model, version="1")
            ),
        )
        poller = self.client.deployments.begin_create_or_update(
            self.resource_group, self.account, request.name, deployment, polling=False, **self._call_options
        )
        created = poller.result()
        state = created.properties.provisioning_state if created and created.properties else "Creating"
        return DeploymentStatus(
            name=request.name,
            model=request.model,
            provisioning_state=state or "Creating",
            sku=request.sku,
            capacity=request.capacity,
        )


def smoke_test(client: Client, deployment: str, messages: list[dict[str, str]]) -> SmokeResult:
    """One chat completion. A deployment that is not serving yet is `retryable`, not an error:
    Azure answers 404/DeploymentNotReady for a while after provisioning reports Succeeded."""
    started = time.perf_counter()
    try:
        completion = client.chat.completions.create(model=deployment, messages=messages, max_tokens=200)
    except (openai.NotFoundError, openai.BadRequestError) as error:
        code = service_error_code(error)
        if code in NOT_READY_CODES or isinstance(error, openai.NotFoundError):
            return SmokeResult(ok=False, retryable=True, code=code)
        raise
    latency_ms = round((time.perf_counter() - started) * 1000, 1)
    usage = (
        completion.usage.model_dump(include={"prompt_tokens", "completion_tokens", "total_tokens"})
        if completion.usage
        else None
    )
    return SmokeResult(
        ok=True, answer=completion.choices[0].message.content, latency_ms=latency_ms, usage=usage
    )
