"""Every Azure client the app uses is built here, from the settings, one way.

Authentication is Microsoft Entra ID by default (the function app's managed identity through
`DefaultAzureCredential`); an API key is used only when `AZURE_OPENAI_API_KEY` is set, and a
fixed bearer token only when `FT_EMULATOR_TOKEN` is set (the local emulator accepts its key
as a token on both planes).
"""

from __future__ import annotations

import logging
from functools import cache, cached_property

from azure.core.credentials import TokenCredential
from azure.identity import DefaultAzureCredential, get_bearer_token_provider
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from azure.storage.blob import BlobServiceClient
from openai import AzureOpenAI, OpenAI

from tuning.credentials import StaticTokenCredential
from tuning.deployments import DeploymentTarget
from tuning.settings import Settings, SettingsError, load_settings
from tuning.storage import DatasetStore

__all__ = ["Clients", "shared_clients"]

log = logging.getLogger("tuning.clients")
COGNITIVE_SERVICES_SCOPE = "https://cognitiveservices.azure.com/.default"
# The SDKs' own backoff for 429/5xx inside one activity attempt (honouring Retry-After);
# durable retries in the orchestrator cover longer outages.
OPENAI_MAX_RETRIES = 4
ARM_MAX_RETRIES = 6


class Clients:
    """Lazily built, shared clients for one settings object (one per worker process)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def credential(self) -> TokenCredential:
        if self.settings.emulator_token:
            return StaticTokenCredential(self.settings.emulator_token)
        return DefaultAzureCredential()

    @cached_property
    def openai(self) -> OpenAI:
        """The data-plane client of the configured API style: `/openai/v1/` (the GA surface, on the
        plain OpenAI client) or the dated `api-version` routes (AzureOpenAI)."""
        endpoint = self.settings.require_openai().rstrip("/")
        key = self.settings.openai_api_key
        token = None if key else get_bearer_token_provider(self.credential, COGNITIVE_SERVICES_SCOPE)
        if self.settings.openai_api_style == "v1":
            return OpenAI(
                base_url=f"{endpoint}/openai/v1/", api_key=key or token, max_retries=OPENAI_MAX_RETRIES
            )
        return AzureOpenAI(
            azure_endpoint=endpoint,
            api_version=self.settings.openai_api_version,
            api_key=key,
            azure_ad_token_provider=token,
            max_retries=OPENAI_MAX_RETRIES,
        )

    @cached_property
    def management(self) -> CognitiveServicesManagementClient:
        subscription, _, _ = self.settings.require_arm_target()
        arm = self.settings.arm_endpoint
        return CognitiveServicesManagementClient(
            self.credential,
            subscription,
            base_url=arm,
            credential_scopes=[f"{arm}/.default"],
            retry_total=ARM_MAX_RETRIES,
            retry_status=ARM_MAX_RETRIES,
        )

    @cached_property
    def deployments(self) -> DeploymentTarget:
        """The account's deployments, through ARM."""
        _, resource_group, account = self.settings.require_arm_target()
        return DeploymentTarget(
            self.management,
            resource_group,
            account,
            allow_http=self.settings.arm_endpoint.startswith("http://"),
        )

    @cached_property
    def blob_service(self) -> BlobServiceClient:
        if self.settings.storage_blob_uri:
            return BlobServiceClient(self.settings.storage_blob_uri, credential=self.credential)
        connection = self.settings.storage_connection
        if not connection:
            raise SettingsError(
                "no dataset storage: set FT_STORAGE, FT_STORAGE__blobServiceUri or AzureWebJobsStorage"
            )
        return BlobServiceClient.from_connection_string(connection)

    @cached_property
    def store(self) -> DatasetStore:
        return DatasetStore(self.blob_service.get_container_client(self.settings.container))


@cache
def shared_clients() -> Clients:
    """The process-wide clients, built from the environment on first use (and logged once,
    without secrets, so an operator can see which endpoint and auth mode a worker uses)."""
    settings = load_settings()
    log.info("settings: %s", settings.describe())
    return Clients(settings)
