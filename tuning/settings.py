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
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "APPROVAL_MODES",
    "ApiStyle",
    "ApprovalMode",
    "DataScan",
    "Gate",
    "Settings",
    "SettingsError",
    "canonical_sku",
    "gates_of",
    "load_settings",
]

ApprovalMode = Literal["none", "training", "deployment", "both"]
APPROVAL_MODES: tuple[str, ...] = ("none", "training", "deployment", "both")
Gate = Literal["training", "deployment"]
ApiStyle = Literal["v1", "dated"]
DataScan = Literal["off", "warn", "error"]
DEFAULT_API_VERSION = "2025-04-01-preview"
DEFAULT_ARM_ENDPOINT = "https://management.azure.com"
# Deployment SKUs a fine-tuned model can be deployed on (Azure OpenAI fine-tuning docs, "Deploy
# a fine-tuned model"); the operator's allowlist is checked against the model catalog as well.
KNOWN_SKUS = (
    "Standard",
    "GlobalStandard",
    "DeveloperTier",
    "DataZoneStandard",
    "ProvisionedManaged",
    "GlobalProvisionedManaged",
    "DataZoneProvisionedManaged",
)
DEFAULT_ALLOWED_SKUS = ("Standard", "GlobalStandard", "DeveloperTier")
PREFIX = re.compile(r"[A-Za-z0-9_.-]{1,20}")


def gates_of(mode: str) -> tuple[Gate, ...]:
    """The approval gates an approval mode asks for."""
    return {
        "none": (),
        "training": ("training",),
        "deployment": ("deployment",),
        "both": ("training", "deployment"),
    }[mode]  # type: ignore[return-value]


def canonical_sku(name: str) -> str | None:
    """ARM compares SKU names case-insensitively; settings and options use one spelling."""
    return next((sku for sku in KNOWN_SKUS if sku.lower() == name.strip().lower()), None)


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names it."""


@dataclass(frozen=True)
class Settings:
    storage_connection: str | None
    storage_blob_uri: str | None
    container: str
    openai_endpoint: str | None
    openai_api_version: str
    openai_api_style: ApiStyle
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
    deployment_prefix: str
    allowed_skus: tuple[str, ...]
    max_capacity: int
    require_approval: ApprovalMode
    approval_timeout_hours: float
    max_cost_usd: float | None
    settle_seconds: float
    training_prices: Mapping[str, float]
    data_scan: DataScan
    eval_concurrency: int
    max_fine_tuned_deployments: int
    eval_baseline_deployment: str | None
    require_evaluation: bool
    public_base_url: str | None

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
            "openai_api_style": self.openai_api_style,
            "openai_auth": "api-key"
            if self.openai_api_key
            else ("static-token" if self.emulator_token else "entra-id"),
            "arm_endpoint": self.arm_endpoint,
            "base_model": self.base_model,
        }


def _text(env: Mapping[str, str], name: str, default: str | None = None) -> str | None:
    value = env.get(name, "").strip()
    return value or default


def _required_text(env: Mapping[str, str], name: str, default: str) -> str:
    return _text(env, name) or default


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...], default: str) -> str:
    value = _required_text(env, name, default)
    if value not in choices:
        raise SettingsError(f"{name}={value!r} must be one of {', '.join(choices)}")
    return value


def _number(env: Mapping[str, str], name: str, default: float, *, minimum: float = 0.0) -> float:
    value = _optional_number(env, name, minimum=minimum)
    return default if value is None else value


def _optional_number(env: Mapping[str, str], name: str, *, minimum: float = 0.0) -> float | None:
    raw = _text(env, name)
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a number") from None
    if not value >= minimum:  # also refuses NaN
        raise SettingsError(f"{name}={raw!r} must be at least {minimum:g}")
    return value


def _whole(env: Mapping[str, str], name: str, default: int, *, minimum: int = 1) -> int:
    value = _number(env, name, default, minimum=minimum)
    if value != int(value):
        raise SettingsError(f"{name}={value:g} must be a whole number")
    return int(value)


def _sku(env: Mapping[str, str], name: str, default: str) -> str:
    raw = _required_text(env, name, default)
    sku = canonical_sku(raw)
    if sku is None:
        raise SettingsError(f"{name}={raw!r} is not a deployment SKU; known: {', '.join(KNOWN_SKUS)}")
    return sku


def _skus(env: Mapping[str, str], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    raw = _text(env, name)
    if raw is None:
        return default
    names = [part for part in raw.split(",") if part.strip()]
    skus = tuple(dict.fromkeys(canonical_sku(part) for part in names))
    if not skus or None in skus:
        raise SettingsError(f"{name}={raw!r} must be a comma-separated list of: {', '.join(KNOWN_SKUS)}")
    return tuple(sku for sku in skus if sku)


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
            "FT_TRAINING_PRICES must be a JSON object of USD per 1M training tokens by model or "
            'model/training type, such as {"gpt-4o": 25.0, "gpt-4o/GlobalStandard": 20.0}'
        ) from None


def _base_url(env: Mapping[str, str]) -> str | None:
    """Where clients reach this app: FT_PUBLIC_BASE_URL, else the host name Azure sets. Never the
    request's Host header, which a client controls."""
    explicit = _text(env, "FT_PUBLIC_BASE_URL")
    if explicit:
        if not explicit.startswith(("https://", "http://")):
            raise SettingsError(f"FT_PUBLIC_BASE_URL={explicit!r} must be an http(s) URL")
        return explicit.rstrip("/")
    hostname = _text(env, "WEBSITE_HOSTNAME")
    return f"https://{hostname}" if hostname else None


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and check every setting; raise SettingsError naming the first bad one."""
    env = os.environ if env is None else env
    host_storage = _text(env, "AzureWebJobsStorage")
    poll_min = _number(env, "FT_POLL_MIN_SECONDS", 30.0, minimum=0.1)
    poll_max = _number(env, "FT_POLL_MAX_SECONDS", 600.0, minimum=0.1)
    if poll_max < poll_min:
        raise SettingsError(f"FT_POLL_MAX_SECONDS ({poll_max:g}) is below FT_POLL_MIN_SECONDS ({poll_min:g})")
    allowed_skus = _skus(env, "FT_ALLOWED_SKUS", DEFAULT_ALLOWED_SKUS)
    deploy_sku = _sku(env, "FT_DEPLOY_SKU", "Standard")
    if deploy_sku not in allowed_skus:
        raise SettingsError(
            f"FT_DEPLOY_SKU={deploy_sku} is not in FT_ALLOWED_SKUS ({', '.join(allowed_skus)})"
        )
    max_capacity = _whole(env, "FT_MAX_CAPACITY", 1)
    deploy_capacity = _whole(env, "FT_DEPLOY_CAPACITY", 1)
    if deploy_capacity > max_capacity:
        raise SettingsError(f"FT_DEPLOY_CAPACITY={deploy_capacity} is above FT_MAX_CAPACITY={max_capacity}")
    prefix = _required_text(env, "FT_DEPLOYMENT_PREFIX", "ft-")
    if not PREFIX.fullmatch(prefix):
        raise SettingsError(f"FT_DEPLOYMENT_PREFIX={prefix!r} must be 1-20 letters, digits, '_', '-', '.'")
    return Settings(
        storage_connection=_text(env, "FT_STORAGE", host_storage),
        storage_blob_uri=_text(env, "FT_STORAGE__blobServiceUri"),
        container=_required_text(env, "FT_CONTAINER", "fine-tuning"),
        openai_endpoint=_text(env, "AZURE_OPENAI_ENDPOINT"),
        openai_api_version=_required_text(env, "AZURE_OPENAI_API_VERSION", DEFAULT_API_VERSION),
        openai_api_style=_choice(env, "AZURE_OPENAI_API_STYLE", ("v1", "dated"), "v1"),  # type: ignore[arg-type]
        openai_api_key=_text(env, "AZURE_OPENAI_API_KEY"),
        emulator_token=_text(env, "FT_EMULATOR_TOKEN"),
        subscription_id=_text(env, "AZURE_SUBSCRIPTION_ID"),
        resource_group=_text(env, "AZURE_RESOURCE_GROUP"),
        openai_account=_text(env, "AZURE_OPENAI_ACCOUNT"),
        arm_endpoint=_required_text(env, "AZURE_RESOURCE_MANAGER_ENDPOINT", DEFAULT_ARM_ENDPOINT).rstrip("/"),
        base_model=_required_text(env, "FT_BASE_MODEL", "gpt-4o-2024-08-06"),
        poll_min_seconds=poll_min,
        poll_max_seconds=poll_max,
        job_timeout_hours=_number(env, "FT_JOB_TIMEOUT_HOURS", 72.0, minimum=0.0001),
        deploy_sku=deploy_sku,
        deploy_capacity=deploy_capacity,
        deployment_prefix=prefix,
        allowed_skus=allowed_skus,
        max_capacity=max_capacity,
        require_approval=_choice(env, "FT_REQUIRE_APPROVAL", APPROVAL_MODES, "none"),  # type: ignore[arg-type]
        approval_timeout_hours=_number(env, "FT_APPROVAL_TIMEOUT_HOURS", 168.0, minimum=0.0001),
        max_cost_usd=_optional_number(env, "FT_MAX_COST_USD"),
        settle_seconds=_number(env, "FT_SETTLE_SECONDS", 10.0),
        training_prices=_prices(env),
        data_scan=_choice(env, "FT_DATA_SCAN", ("off", "warn", "error"), "warn"),  # type: ignore[arg-type]
        eval_concurrency=_whole(env, "FT_EVAL_CONCURRENCY", 4),
        # Azure OpenAI quotas and limits: "Max fine-tuned model deployments: 5" per resource.
        max_fine_tuned_deployments=_whole(env, "FT_MAX_FINE_TUNED_DEPLOYMENTS", 5),
        eval_baseline_deployment=_text(env, "FT_EVAL_BASELINE_DEPLOYMENT"),
        require_evaluation=_choice(env, "FT_REQUIRE_EVALUATION", ("false", "true"), "false") == "true",
        public_base_url=_base_url(env),
    )
