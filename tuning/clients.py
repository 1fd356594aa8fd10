"""Every Azure client the app uses is built here, from the settings, one way.

Authentication is Microsoft Entra ID by default (the function app's managed identity through
`DefaultAzureCredential`); an API key is used only when `AZURE_OPENAI_API_KEY` is set, and a
fixed bearer token only when `FT_EMULATOR_TOKEN` is set (the local emulator accepts its key
as a token on both planes).
"""

from __future__ import annotations

import logging
from functools import cache, cached_property

from azure.identity import DefaultAzureCredential, get_bearer_token_provider
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from azure.storage.blob import BlobServiceClient
from openai import AzureOpenAI

from tuning.credentials import StaticTokenCredential
from tuning.settings import Settings, SettingsError, load_settings
from tuning.storage import DatasetStore

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
    def credential(self):
        if self.settings.emulator_token:
            return StaticTokenCredential(self.settings.emulator_token)
        return DefaultAzureCredential()

    @cached_property
    def openai(self) -> AzureOpenAI:
        endpoint = self.settings.require_openai()
        common = dict(
            azure_endpoint=endpoint,
            api_version=self.settings.openai_api_version,
            max_retries=OPENAI_MAX_RETRIES,
        )
        if self.settings.openai_api_key:
            return AzureOpenAI(api_key=self.settings.openai_api_key, **common)
        token_provider = get_bearer_token_provider(self.credential, COGNITIVE_SERVICES_SCOPE)
        return AzureOpenAI(azure_ad_token_provider=token_provider, **common)

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
