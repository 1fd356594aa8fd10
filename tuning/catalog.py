"""Base models the pipeline can fine-tune, and what Azure accepts for each: tokenizer encoding,
per-example training context, methods, training types, images, deployment SKUs and prices.

Every fact carries its source, a page of the Azure OpenAI documentation (learn.microsoft.com,
azure/ai-foundry/openai/...), in a comment beside it. The documentation changes: when Azure
adds a model or a training type, this table is the one place to update.

Prices change and differ per region, so they are only defaults: the settings layer passes
overrides (`price_overrides`, from FT_TRAINING_PRICES) and `None` means "unknown, no cost".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

__all__ = [
    "ALIASES",
    "CATALOG",
    "DEPLOYMENT_SKUS",
    "DEVELOPER",
    "DPO",
    "GLOBAL_STANDARD",
    "METHODS",
    "STANDARD",
    "SUPERVISED",
    "TRAINING_TYPES",
    "ModelSpec",
    "UnknownModelError",
    "UnsupportedCombinationError",
    "check_training_combination",
    "parse_training_type",
    "resolve_model",
    "training_type_api_value",
]

# Fine-tuning methods (how-to/fine-tuning, how-to/fine-tuning-direct-preference-optimization).
SUPERVISED = "supervised"
DPO = "dpo"
METHODS = (SUPERVISED, DPO)

# Training types ("Select a training type", how-to/fine-tuning): Standard trains in the resource's
# region (data residency); Global uses capacity anywhere, cheaper; Developer uses preemptible idle
# capacity, cheapest, no SLA. The REST API names them in `trainingType` (API 2025-04-01-preview).
STANDARD = "Standard"
GLOBAL_STANDARD = "GlobalStandard"
DEVELOPER = "Developer"
TRAINING_TYPES = (STANDARD, GLOBAL_STANDARD, DEVELOPER)
_API_VALUES = {STANDARD: "standard", GLOBAL_STANDARD: "globalStandard", DEVELOPER: "developerTier"}

# Deployment SKUs a fine-tuned model can be deployed on (how-to/fine-tuning-deploy, "Deployment
# types"); Provisioned Throughput is left out: the pipeline does not create PTU deployments.
DEPLOYMENT_SKUS = ("Standard", "GlobalStandard", "DeveloperTier")
_STANDARD_SKU, _GLOBAL_SKU, _DEVELOPER_SKU = DEPLOYMENT_SKUS

# Training price ratios (how-to/fine-tuning-cost-management): Global training is 10-30% cheaper
# than regional Standard, Developer 50% cheaper than Global. The default takes the smallest Global
# discount, so an estimate errs on the high side of a cost ceiling.
GLOBAL_PRICE_RATIO = 0.9
DEVELOPER_PRICE_RATIO = 0.5 * GLOBAL_PRICE_RATIO
_PRICE_RATIOS = {STANDARD: 1.0, GLOBAL_STANDARD: GLOBAL_PRICE_RATIO, DEVELOPER: DEVELOPER_PRICE_RATIO}


@dataclass(frozen=True)
class ModelSpec:
    """What validation and the pipeline need to know about one fine-tunable base model.

    `prices` holds USD per 1M training tokens by training type, after overrides.
    """

    name: str
    encoding: str
    context_limit: int
    methods: tuple[str, ...]
    training_types: tuple[str, ...]
    supports_images: bool
    deployment_skus: tuple[str, ...]
    prices: tuple[tuple[str, float], ...] = ()

    def training_price(self, training_type: str) -> float | None:
        """USD per 1M training tokens for `training_type`, or None when unknown or not offered."""
        return dict(self.prices).get(parse_training_type(training_type))

    @property
    def training_price_per_1m_tokens(self) -> float | None:
        """The Standard training price (the price callers that name no training type get)."""
        return self.training_price(STANDARD)


class UnknownModelError(ValueError):
    """The model is neither a catalog entry nor an alias of one."""


class UnsupportedCombinationError(ValueError):
    """The model does not offer this method or training type (the message lists what it offers)."""


def _spec(
    name: str,
    encoding: str,
    context_limit: int,
    methods: tuple[str, ...],
    training_types: tuple[str, ...],
    *,
    images: bool,
    skus: tuple[str, ...],
    standard_price: float,
) -> ModelSpec:
    prices = tuple((kind, round(standard_price * _PRICE_RATIOS[kind], 6)) for kind in training_types)
    return ModelSpec(name, encoding, context_limit, methods, training_types, images, skus, prices)


_ALL_TYPES = TRAINING_TYPES
_ALL_SKUS = DEPLOYMENT_SKUS
_NOT_DEVELOPER_SKUS = (_STANDARD_SKU, _GLOBAL_SKU)

# Sources, per column:
# - context limit: includes/fine-tune-models ("Training example context length"); gpt-35-turbo-0125
#   lists 16,385 tokens as its only limit;
# - methods: DPO on gpt-4o, gpt-4.1 and gpt-4.1-mini (how-to/fine-tuning-direct-preference-
#   optimization, "model support"); supervised on all;
# - training types: includes/fine-tune-models ("Standard training regions", "Global training"),
#   how-to/fine-tuning-cost-management ("for all training jobs, you have the option to use global
#   standard or developer"); gpt-35-turbo has no Global training;
# - images: how-to/fine-tuning-vision ("Model support": gpt-4o 2024-08-06, gpt-4.1 2025-04-14);
# - deployment SKUs: how-to/fine-tuning-deploy ("Deployment types": Developer Tier for the gpt-4.1
#   family only, Global Standard for the gpt-4o and gpt-4.1 families);
# - Standard price: the public list price per 1M training tokens as of 2025 (a default).
CATALOG: Mapping[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        _spec(
            "gpt-4o-2024-08-06",
            "o200k_base",
            65_536,
            (SUPERVISED, DPO),
            _ALL_TYPES,
            images=True,
            skus=_NOT_DEVELOPER_SKUS,
            standard_price=25.0,
        ),
        _spec(
            "gpt-4o-mini-2024-07-18",
            "o200k_base",
            65_536,
            (SUPERVISED,),
            _ALL_TYPES,
            images=False,
            skus=_NOT_DEVELOPER_SKUS,
            standard_price=3.0,
        ),
        _spec(
            "gpt-4.1-2025-04-14",
            "o200k_base",
            65_536,
            (SUPERVISED, DPO),
            _ALL_TYPES,
            images=True,
            skus=_ALL_SKUS,
            standard_price=25.0,
        ),
        _spec(
            "gpt-4.1-mini-2025-04-14",
            "o200k_base",
            65_536,
            (SUPERVISED, DPO),
            _ALL_TYPES,
            images=False,
            skus=_ALL_SKUS,
            standard_price=5.0,
        ),
        _spec(
            "gpt-4.1-nano-2025-04-14",
            "o200k_base",
            32_768,
            (SUPERVISED,),
            _ALL_TYPES,
            images=False,
            skus=_ALL_SKUS,
            standard_price=1.5,
        ),
        _spec(
            "gpt-35-turbo-0125",
            "cl100k_base",
            16_385,
            (SUPERVISED,),
            (STANDARD,),
            images=False,
            skus=(_STANDARD_SKU,),
            standard_price=8.0,
        ),
    )
}

# Short names people type; each points at the version the pipeline fine-tunes by default.
ALIASES: Mapping[str, str] = {
    "gpt-4o": "gpt-4o-2024-08-06",
    "gpt-4o-mini": "gpt-4o-mini-2024-07-18",
    "gpt-4.1": "gpt-4.1-2025-04-14",
    "gpt-4.1-mini": "gpt-4.1-mini-2025-04-14",
    "gpt-4.1-nano": "gpt-4.1-nano-2025-04-14",
    "gpt-35-turbo": "gpt-35-turbo-0125",
    "gpt-3.5-turbo": "gpt-35-turbo-0125",
    "gpt-3.5-turbo-0125": "gpt-35-turbo-0125",
}

# Spellings of training types people and the REST API use, lower-cased, to our names.
_TRAINING_TYPE_SPELLINGS = {
    **{kind.lower(): kind for kind in TRAINING_TYPES},
    **{value.lower(): kind for kind, value in _API_VALUES.items()},
    "global": GLOBAL_STANDARD,
}


def resolve_model(name: str, price_overrides: Mapping[str, float] | None = None) -> ModelSpec:
    """The catalog entry for `name` (an entry or an alias, case-insensitive).

    `price_overrides` is a flat mapping, so FT_TRAINING_PRICES stays a flat JSON object: a key
    naming a model or alias (`"gpt-4o"`) sets that price for every training type of the model; a
    key naming model and training type (`"gpt-4o/GlobalStandard"`) sets one type's price and wins
    over the model-wide key. A price change is configuration, not a code change.
    """
    canonical = _canonical(name)
    spec = CATALOG.get(canonical)
    if spec is None:
        known = ", ".join(sorted([*CATALOG, *ALIASES]))
        raise UnknownModelError(f"unknown model {name!r}; known models: {known}")
    prices = dict(spec.prices)
    per_type: dict[str, float] = {}
    for key, price in (price_overrides or {}).items():
        model, _, kind = key.partition("/")
        if _canonical(model) != canonical:
            continue
        if kind:
            per_type[parse_training_type(kind)] = float(price)
        else:
            prices = dict.fromkeys(prices, float(price))
    prices.update((kind, price) for kind, price in per_type.items() if kind in prices)
    return replace(spec, prices=tuple(prices.items()))


def parse_training_type(value: str) -> str:
    """Our name (`Standard`, `GlobalStandard`, `Developer`) for a training type as people and the
    REST API spell it (case-insensitive; `globalStandard`, `developerTier` are accepted)."""
    kind = _TRAINING_TYPE_SPELLINGS.get(value.strip().lower())
    if kind is None:
        raise UnsupportedCombinationError(
            f"unknown training type {value!r}; training types are {', '.join(TRAINING_TYPES)}"
        )
    return kind


def training_type_api_value(training_type: str) -> str:
    """The value of the fine-tuning job's `trainingType` field for a training type."""
    return _API_VALUES[parse_training_type(training_type)]


def check_training_combination(spec: ModelSpec, method: str, training_type: str) -> None:
    """Raises UnsupportedCombinationError, listing what the model supports, when `spec` cannot be
    fine-tuned with `method` on `training_type`: a mistake to stop before anything is uploaded."""
    kind = parse_training_type(training_type)
    wrong = []
    if method not in spec.methods:
        wrong.append(f"the {method!r} method")
    if kind not in spec.training_types:
        wrong.append(f"the {kind} training type")
    if wrong:
        raise UnsupportedCombinationError(
            f"{spec.name} does not support {' or '.join(wrong)}; it supports methods "
            f"{', '.join(spec.methods)} and training types {', '.join(spec.training_types)}"
        )


def _canonical(name: str) -> str:
    key = name.strip().lower()
    return ALIASES.get(key, key)
