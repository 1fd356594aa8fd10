"""The models the emulated resource knows: versions, fine-tuning methods, training types, SKUs.

Independent of the pipeline's own `tuning/catalog.py` on purpose: the emulator stands in for
the service, so it says what the service accepts, and a pipeline that disagrees finds out here.
Both planes check against it: the data plane when a job is created (model, method,
`trainingType`), ARM when a deployment is created (model name + version, SKU).

Sources (Microsoft Learn, azure-ai-docs):
- fine-tunable models and "Global training": articles/ai-foundry/openai/includes/fine-tune-models.md
  (gpt-4o-mini 2024-07-18, gpt-4o 2024-08-06, gpt-4.1 / -mini / -nano 2025-04-14; gpt-35-turbo
  0125 and 1106 in its earlier revisions, Standard training only);
- Developer training ("for all training jobs, you have the option to use global standard or
  developer"): articles/ai-foundry/openai/how-to/fine-tuning-cost-management.md;
- DPO ("gpt-4o-2024-08-06, gpt-4.1-2025-04-14, gpt-4.1-mini-2025-04-14 support direct preference
  optimization"): articles/ai-foundry/openai/how-to/fine-tuning-direct-preference-optimization.md;
- deployment types of fine-tuned models (Standard, Global Standard, Developer Tier for the
  gpt-4.1 family, Provisioned for gpt-4.1 / gpt-4o / gpt-4o-mini) and `"version": "1"` for a
  fine-tuned deployment: articles/ai-foundry/openai/how-to/fine-tuning-deploy.md;
- undated names (`gpt-4.1-mini`) as fine-tuning input: Microsoft's fine-tuning scripts
  (microsoft/azure-skills, skills/microsoft-foundry/finetuning) and OpenAI's own examples.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "MODELS",
    "SKUS",
    "TRAINING_TYPES",
    "BaseModel",
    "FineTuning",
    "base_for_deployment",
    "base_for_fine_tuning",
    "canonical_sku",
    "canonical_training_type",
]

TRAINING_TYPES = ("Standard", "GlobalStandard", "Developer")
# What clients send as `trainingType`, case-insensitively: Microsoft's docs write "globalstandard",
# its scripts "globalStandard" and "developerTier".
_TRAINING_TYPE_SPELLINGS = {
    "standard": "Standard",
    "globalstandard": "GlobalStandard",
    "global": "GlobalStandard",
    "developer": "Developer",
    "developertier": "Developer",
}

_STANDARD_FAMILY = frozenset(
    {
        "Standard",
        "GlobalStandard",
        "DataZoneStandard",
        "ProvisionedManaged",
        "GlobalProvisionedManaged",
        "DataZoneProvisionedManaged",
        "GlobalBatch",
        "DataZoneBatch",
    }
)
SKUS = (*sorted(_STANDARD_FAMILY), "DeveloperTier")


@dataclass(frozen=True)
class FineTuning:
    """How a base model can be fine-tuned, and where its fine-tuned models can be deployed."""

    methods: frozenset[str]
    training_types: frozenset[str]
    deployment_skus: frozenset[str]


@dataclass(frozen=True)
class BaseModel:
    name: str
    version: str
    deployment_skus: frozenset[str]
    fine_tuning: FineTuning | None = None

    @property
    def dated_id(self) -> str:
        """The id fine-tuning uses and reports (`gpt-4o-2024-08-06`)."""
        return f"{self.name}-{self.version}"


_GLOBAL_TRAINING = frozenset(TRAINING_TYPES)
_GPT41_DEPLOYMENTS = frozenset({"Standard", "GlobalStandard", "DeveloperTier"})

MODELS: tuple[BaseModel, ...] = (
    BaseModel(
        "gpt-4o",
        "2024-08-06",
        _STANDARD_FAMILY,
        FineTuning(
            frozenset({"supervised", "dpo"}),
            _GLOBAL_TRAINING,
            frozenset({"Standard", "GlobalStandard", "ProvisionedManaged"}),
        ),
    ),
    BaseModel("gpt-4o", "2024-11-20", _STANDARD_FAMILY),
    BaseModel("gpt-4o", "2024-05-13", _STANDARD_FAMILY),
    BaseModel(
        "gpt-4o-mini",
        "2024-07-18",
        _STANDARD_FAMILY,
        FineTuning(
            frozenset({"supervised"}),
            _GLOBAL_TRAINING,
            frozenset({"Standard", "GlobalStandard", "ProvisionedManaged"}),
        ),
    ),
    BaseModel(
        "gpt-4.1",
        "2025-04-14",
        _STANDARD_FAMILY,
        FineTuning(
            frozenset({"supervised", "dpo"}), _GLOBAL_TRAINING, _GPT41_DEPLOYMENTS | {"ProvisionedManaged"}
        ),
    ),
    BaseModel(
        "gpt-4.1-mini",
        "2025-04-14",
        _STANDARD_FAMILY,
        FineTuning(frozenset({"supervised", "dpo"}), _GLOBAL_TRAINING, _GPT41_DEPLOYMENTS),
    ),
    BaseModel(
        "gpt-4.1-nano",
        "2025-04-14",
        _STANDARD_FAMILY,
        FineTuning(frozenset({"supervised"}), _GLOBAL_TRAINING, _GPT41_DEPLOYMENTS),
    ),
    BaseModel(
        "gpt-35-turbo",
        "0125",
        frozenset({"Standard", "ProvisionedManaged"}),
        FineTuning(frozenset({"supervised"}), frozenset({"Standard"}), frozenset({"Standard"})),
    ),
    BaseModel(
        "gpt-35-turbo",
        "1106",
        frozenset({"Standard", "ProvisionedManaged"}),
        FineTuning(frozenset({"supervised"}), frozenset({"Standard"}), frozenset({"Standard"})),
    ),
    # Fine-tunable only by reinforcement (not emulated), deployable as a base model.
    BaseModel("o4-mini", "2025-04-16", _STANDARD_FAMILY),
)


def base_for_fine_tuning(model: str) -> BaseModel | None:
    """The base a fine-tuning request names: a dated id, or an undated name (its fine-tunable version)."""
    tunable = [m for m in MODELS if m.fine_tuning is not None]
    return next((m for m in tunable if model in (m.dated_id, m.name)), None)


def base_for_deployment(name: str, version: str | None) -> BaseModel | None:
    """The base model an ARM deployment names (undated name + real version; no version = the first listed)."""
    candidates = [m for m in MODELS if m.name == name]
    if version is None:
        return candidates[0] if candidates else None
    return next((m for m in candidates if m.version == version), None)


def canonical_training_type(value: str) -> str | None:
    return _TRAINING_TYPE_SPELLINGS.get(value.lower())


def canonical_sku(name: str) -> str | None:
    """ARM matches SKU names case-insensitively; answer with the canonical spelling."""
    return next((sku for sku in SKUS if sku.lower() == name.lower()), None)
