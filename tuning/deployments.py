"""Deploying a model through Azure Resource Manager, only ever on deployments this service owns.

Every deployment the pipeline creates carries tags naming it as ours, the run attempt that wrote
it and its role (production, or a temporary evaluation deployment). Before an update or a delete
the tags are checked: a deployment of the same name that someone else created is never touched.
Deployments are create-or-update by name, sent once (no client retry; PUT is idempotent, and the
durable retry looks first), and nothing here waits for provisioning: the orchestrator does, with
durable timers.
"""

from __future__ import annotations

from typing import Any

from azure.core.exceptions import ResourceNotFoundError
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from azure.mgmt.cognitiveservices.models import Deployment, DeploymentModel, DeploymentProperties, Sku

from tuning.failures import PipelineError
from tuning.payloads import DeployInput, DeploymentStatus

__all__ = [
    "ACTIVE_STATES",
    "MANAGER",
    "TAG_MANAGER",
    "TAG_REPLACES",
    "TAG_ROLE",
    "TAG_RUN_KEY",
    "DeploymentTarget",
]

TAG_MANAGER = "ft-managed-by"
MANAGER = "fine-tuning-pipeline"
TAG_RUN_KEY = "ft-run-key"
TAG_ROLE = "ft-role"
TAG_REPLACES = "ft-replaced-model"
# DeploymentProvisioningState values (ARM Microsoft.CognitiveServices 2025-09-01) in which a
# deployment already serves, or will serve, the model it was given.
ACTIVE_STATES = frozenset({"Accepted", "Creating", "Succeeded"})
# How Azure names a fine-tuned model (`gpt-4o-2024-08-06.ft-<id>[-suffix]`) and its checkpoints.
FINE_TUNED_MARK = ".ft-"
# Azure's documented version for fine-tuned models ("Deploy a fine-tuned model": version "1").
FINE_TUNED_MODEL_VERSION = "1"


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
        self._call_options: dict[str, Any] = {"enforce_https": False} if allow_http else {}

    def status(self, name: str) -> DeploymentStatus:
        try:
            found = self.client.deployments.get(self.resource_group, self.account, name, **self._call_options)
        except ResourceNotFoundError:
            return DeploymentStatus(name=name, exists=False)
        properties = found.properties
        model = properties.model if properties else None
        tags = found.tags or {}
        return DeploymentStatus(
            name=name,
            exists=True,
            model=model.name if model else None,
            model_version=model.version if model else None,
            provisioning_state=properties.provisioning_state if properties else None,
            sku=found.sku.name if found.sku else None,
            capacity=found.sku.capacity if found.sku else None,
            managed=tags.get(TAG_MANAGER) == MANAGER,
            run_key=tags.get(TAG_RUN_KEY),
            role=tags.get(TAG_ROLE),
            replaces=tags.get(TAG_REPLACES),
        )

    def deploy(self, request: DeployInput) -> DeploymentStatus:
        """Create the deployment, or update one we own; a repeat of a PUT already made sends nothing."""
        current = self.status(request.name)
        if current.exists and not current.managed:
            raise PipelineError(
                "deployment_not_managed",
                f"deployment {request.name} exists and was not created by this service; it was left as it is",
            )
        if current.exists and current.model == request.model and current.provisioning_state in ACTIVE_STATES:
            return current
        deployment = Deployment(
            sku=Sku(name=request.sku, capacity=request.capacity),
            tags=_tags(request),
            properties=DeploymentProperties(
                model=DeploymentModel(format="OpenAI", name=request.model, version=FINE_TUNED_MODEL_VERSION)
            ),
        )
        self.client.deployments.begin_create_or_update(
            self.resource_group,
            self.account,
            request.name,
            deployment,
            polling=False,
            retry_total=0,
            **self._call_options,
        )
        return self.status(request.name)

    def delete(self, name: str) -> DeploymentStatus:
        """Remove a deployment we own; an absent one is already removed."""
        current = self.status(name)
        if not current.exists:
            return current
        if not current.managed:
            raise PipelineError(
                "deployment_not_managed", f"deployment {name} was not created by this service"
            )
        if current.provisioning_state != "Deleting":
            self.client.deployments.begin_delete(
                self.resource_group, self.account, name, polling=False, **self._call_options
            )
        return self.status(name)

    def count(self) -> tuple[int, int]:
        """Deployments of the account, and how many of them serve fine-tuned models (Azure's quota
        counts those separately, and allows few)."""
        models = [
            d.properties.model.name if d.properties and d.properties.model else ""
            for d in self.client.deployments.list(self.resource_group, self.account, **self._call_options)
        ]
        return len(models), sum(FINE_TUNED_MARK in (name or "") for name in models)

    def managed(self) -> list[DeploymentStatus]:
        """Every deployment of the account that carries this service's tags (for the reconciler)."""
        found = []
        for deployment in self.client.deployments.list(
            self.resource_group, self.account, **self._call_options
        ):
            tags = deployment.tags or {}
            if tags.get(TAG_MANAGER) == MANAGER and deployment.name:
                found.append(self.status(deployment.name))
        return found


def _tags(request: DeployInput) -> dict[str, str]:
    """What the reconciler and a cancelled run need to undo this deployment without our records."""
    tags = {TAG_MANAGER: MANAGER, TAG_RUN_KEY: request.run_key, TAG_ROLE: request.role}
    if request.replaces:
        tags[TAG_REPLACES] = request.replaces
    return tags
