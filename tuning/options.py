"""Per-run options: the schema of `run.json` and of the HTTP body's `options`, and how they
merge over the app settings.

Unknown keys are an error (a typo such as `"sufix"` must not silently train without a suffix),
and every field is checked before anything is uploaded.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tuning.settings import ApprovalMode, Settings

# The lab's smoke-test conversation.
DEFAULT_SMOKE_TEST = (
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "Does Azure OpenAI support customer managed keys?"},
)
DEPLOYMENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,63}$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Hyperparameters(Strict):
    n_epochs: int | Literal["auto"] | None = Field(default=None)
    batch_size: int | Literal["auto"] | None = None
    learning_rate_multiplier: float | Literal["auto"] | None = None
    beta: float | Literal["auto"] | None = None

    @field_validator("n_epochs", "batch_size")
    @classmethod
    def _positive_int(cls, value: int | str | None) -> int | str | None:
        if isinstance(value, int) and not 1 <= value <= 256:
            raise ValueError("must be between 1 and 256")
        return value

    @field_validator("learning_rate_multiplier", "beta")
    @classmethod
    def _positive_float(cls, value: float | str | None) -> float | str | None:
        if isinstance(value, float) and not 0 < value <= 10:
            raise ValueError("must be greater than 0 and at most 10")
        return value

    def present(self) -> dict[str, object]:
        return self.model_dump(exclude_none=True)


class DeploymentOptions(Strict):
    name: str | None = None
    sku: str | None = None
    capacity: int | None = Field(default=None, ge=1, le=1000)

    @field_validator("name")
    @classmethod
    def _deployment_name(cls, value: str | None) -> str | None:
        if value is not None and not DEPLOYMENT_NAME.match(value):
            raise ValueError(
                "2-64 characters: letters, digits, '_', '-', '.', starting with a letter or digit"
            )
        return value


class ChatMessage(Strict):
    role: Literal["system", "user", "assistant"]
    content: str = Field(min_length=1, max_length=8000)


class SmokeTestOptions(Strict):
    messages: list[ChatMessage] = Field(min_length=1, max_length=20)


class RunOptions(Strict):
    """What a run may override; None means "use the app setting"."""

    base_model: str | None = None
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)
    hyperparameters: Hyperparameters | None = None
    suffix: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,40}$")
    method: Literal["supervised", "dpo"] | None = None
    model_choice: Literal["final", "best_checkpoint"] | None = None
    deployment: DeploymentOptions | None = None
    smoke_test: SmokeTestOptions | None = None
    approval: ApprovalMode | None = None
    max_cost_usd: float | None = Field(default=None, gt=0)


class ResolvedOptions(Strict):
    """Options with every default filled in: what the orchestration and the report carry."""

    base_model: str
    seed: int | None
    hyperparameters: dict[str, object]
    suffix: str | None
    method: Literal["supervised", "dpo"]
    model_choice: Literal["final", "best_checkpoint"]
    deployment_name: str
    deployment_sku: str
    deployment_capacity: int
    smoke_test_messages: list[dict[str, str]]
    approval: ApprovalMode
    approval_timeout_hours: float
    max_cost_usd: float | None
    poll_min_seconds: float
    poll_max_seconds: float
    job_timeout_hours: float


class OptionsError(ValueError):
    """Options failed the schema; the message lists every problem with its field path."""


def parse_options(data: object, source: str) -> RunOptions:
    if data is None:
        return RunOptions()
    try:
        return RunOptions.model_validate(data)
    except ValidationError as error:
        raise OptionsError(f"{source}: {describe_validation_error(error)}") from None


def describe_validation_error(error: ValidationError) -> str:
    """One line per problem, `field.path: message`, without echoing the input values."""
    problems = []
    for item in error.errors(include_input=False, include_url=False):
        where = ".".join(str(part) for part in item["loc"]) or "(body)"
        problems.append(f"{where}: {item['msg']}")
    return "; ".join(problems)


def default_deployment_name(run: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_.-]", "-", f"ft-{run}")[:64]
    return cleaned


def merge_options(settings: Settings, run: str, *layers: RunOptions) -> ResolvedOptions:
    """Later layers win (run.json, then the HTTP body); unset fields fall back to settings."""

    def pick(attribute: str, default: object) -> object:
        for layer in reversed(layers):
            value = getattr(layer, attribute)
            if value is not None:
                return value
        return default

    hyperparameters: dict[str, object] = {}
    deployment: dict[str, object] = {}
    for layer in layers:
        if layer.hyperparameters:
            hyperparameters.update(layer.hyperparameters.present())
        if layer.deployment:
            deployment.update(layer.deployment.model_dump(exclude_none=True))
    smoke = pick("smoke_test", None)
    messages = [m.model_dump() for m in smoke.messages] if smoke else [dict(m) for m in DEFAULT_SMOKE_TEST]
    return ResolvedOptions(
        base_model=pick("base_model", settings.base_model),
        seed=pick("seed", None),
        hyperparameters=hyperparameters,
        suffix=pick("suffix", None),
        method=pick("method", "supervised"),
        model_choice=pick("model_choice", "final"),
        deployment_name=deployment.get("name", default_deployment_name(run)),
        deployment_sku=deployment.get("sku", settings.deploy_sku),
        deployment_capacity=deployment.get("capacity", settings.deploy_capacity),
        smoke_test_messages=messages,
        approval=pick("approval", settings.require_approval),
        approval_timeout_hours=settings.approval_timeout_hours,
        max_cost_usd=pick("max_cost_usd", settings.max_cost_usd),
        poll_min_seconds=settings.poll_min_seconds,
        poll_max_seconds=settings.poll_max_seconds,
        job_timeout_hours=settings.job_timeout_hours,
    )
