"""Typed settings, read from the environment once and checked at start.

App settings in Azure and `local.settings.json` locally both arrive as environment variables.
A missing or malformed setting is a `SettingsError` that names the setting, so a
misconfigured app fails on its first call with a sentence a person can act on, not with a
KeyError deep inside a client. Secrets are held here but never rendered: `describe()` is what
may be logged.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

ApprovalMode = Literal["none", "training", "deployment"]
APPROVAL_MODES: tuple[str, ...] = ("none", "training", "deployment")
DEFAULT_API_VERSION = "2025-04-01-preview"
DEFAULT_ARM_ENDPOINT = "https://management.azure.com"


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names it."""


@dataclass(frozen=True)
class Settings:
    storage_connection: str | None
    storage_blob_uri: str | None
    container: str
    openai_endpoint: str | None
    openai_api_version: str
    openai_api_key: str | None = field(repr=False)
    emulator_token: str | None = field(repr=False)
    subscription_id: str | None
    resource_group: str | None
    openai_account: str | None
    arm_endpoint: str
    base_model: str
    poll_min_seconds: float
    poll_max_seconds: float
    job_timeout_hours: float
    deploy_sku: str
    deploy_capacity: int
    require_approval: ApprovalMode
    approval_timeout_hours: float
    max_cost_usd: float | None
    settle_seconds: float
    training_prices: Mapping[str, float]

    def require_openai(self) -> str:
        if not self.openai_endpoint:
            raise SettingsError(
                "AZURE_OPENAI_ENDPOINT is not set: it names the Azure OpenAI resource to train on"
            )
        return self.openai_endpoint

    def require_arm_target(self) -> tuple[str, str, str]:
        missing = [
            name
            for name, value in (
                ("AZURE_SUBSCRIPTION_ID", self.subscription_id),
                ("AZURE_RESOURCE_GROUP", self.resource_group),
                ("AZURE_OPENAI_ACCOUNT", self.openai_account),
            )
            if not value
        ]
        if missing:
            raise SettingsError(
                f"{', '.join(missing)} not set: needed to deploy the model through Azure Resource Manager"
            )
        return self.subscription_id, self.resource_group, self.openai_account  # type: ignore[return-value]

    def describe(self) -> dict[str, object]:
        """What may be logged or reported: no keys, tokens or connection strings."""
        return {
            "container": self.container,
            "openai_endpoint": self.openai_endpoint,
            "openai_api_version": self.openai_api_version,
            "openai_auth": "api-key"
            if self.openai_api_key
            else ("static-token" if self.emulator_token else "entra-id"),
            "arm_endpoint": self.arm_endpoint,
            "base_model": self.base_model,
        }


def _text(env: Mapping[str, str], name: str, default: str | None = None) -> str | None:
    value = env.get(name, "").strip()
    return value or default


def _number(
    env: Mapping[str, str], name: str, default: float | None, *, minimum: float = 0.0
) -> float | None:
    raw = _text(env, name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a number") from None
    if value < minimum:
        raise SettingsError(f"{name}={raw!r} must be at least {minimum:g}")
    return value


def _prices(env: Mapping[str, str]) -> dict[str, float]:
    raw = _text(env, "FT_TRAINING_PRICES")
    if raw is None:
        return {}
    try:
        prices = json.loads(raw)
        if not isinstance(prices, dict):
            raise ValueError
        return {str(model): float(price) for model, price in prices.items()}
    except (ValueError, TypeError):
        raise SettingsError(
            'FT_TRAINING_PRICES must be a JSON object such as {"gpt-4o-2024-08-06": 25.0} '
            "(USD per 1M training tokens)"
        ) from None


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and check every setting; raise SettingsError naming the first bad one."""
    env = os.environ if env is None else env
    host_storage = _text(env, "AzureWebJobsStorage")
    approval = _text(env, "FT_REQUIRE_APPROVAL", "none")
    if approval not in APPROVAL_MODES:
        raise SettingsError(f"FT_REQUIRE_APPROVAL={approval!r} must be one of {', '.join(APPROVAL_MODES)}")
    poll_min = _number(env, "FT_POLL_MIN_SECONDS", 30.0, minimum=0.1)
    poll_max = _number(env, "FT_POLL_MAX_SECONDS", 600.0, minimum=0.1)
    if poll_max < poll_min:
        raise SettingsError(f"FT_POLL_MAX_SECONDS ({poll_max:g}) is below FT_POLL_MIN_SECONDS ({poll_min:g})")
    capacity = _number(env, "FT_DEPLOY_CAPACITY", 1, minimum=1)
    if capacity != int(capacity):
        raise SettingsError(f"FT_DEPLOY_CAPACITY={capacity:g} must be a whole number")
    return Settings(
        storage_connection=_text(env, "FT_STORAGE", host_storage),
        storage_blob_uri=_text(env, "FT_STORAGE__blobServiceUri"),
        container=_text(env, "FT_CONTAINER", "fine-tuning"),
        openai_endpoint=_text(env, "AZURE_OPENAI_ENDPOINT"),
        openai_api_version=_text(env, "AZURE_OPENAI_API_VERSION", DEFAULT_API_VERSION),
        openai_api_key=_text(env, "AZURE_OPENAI_API_KEY"),
        emulator_token=_text(env, "FT_EMULATOR_TOKEN"),
        subscription_id=_text(env, "AZURE_SUBSCRIPTION_ID"),
        resource_group=_text(env, "AZURE_RESOURCE_GROUP"),
        openai_account=_text(env, "AZURE_OPENAI_ACCOUNT"),
        arm_endpoint=_text(env, "AZURE_RESOURCE_MANAGER_ENDPOINT", DEFAULT_ARM_ENDPOINT).rstrip("/"),
        base_model=_text(env, "FT_BASE_MODEL", "gpt-4o-2024-08-06"),
        poll_min_seconds=poll_min,
        poll_max_seconds=poll_max,
        job_timeout_hours=_number(env, "FT_JOB_TIMEOUT_HOURS", 72.0, minimum=0.0001),
        deploy_sku=_text(env, "FT_DEPLOY_SKU", "standard"),
        deploy_capacity=int(capacity),
        require_approval=approval,  # type: ignore[arg-type]
        approval_timeout_hours=_number(env, "FT_APPROVAL_TIMEOUT_HOURS", 168.0, minimum=0.0001),
        max_cost_usd=_number(env, "FT_MAX_COST_USD", None),
        settle_seconds=_number(env, "FT_SETTLE_SECONDS", 10.0),
        training_prices=_prices(env),
    )
