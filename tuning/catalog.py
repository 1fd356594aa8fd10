"""Base models the pipeline can fine-tune: tokenizer encoding, per-example training context
limit, supported methods and an optional training price.

Limits come from the Azure OpenAI fine-tuning model table ("Training example context length"),
methods from the Azure fine-tuning and DPO pages. Prices change and differ per region and
training tier, so they are only defaults (OpenAI's public list price per 1M training tokens):
the settings layer passes overrides (`price_overrides`), and `None` means "unknown, no cost".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

SUPERVISED = "supervised"
DPO = "dpo"


@dataclass(frozen=True)
class ModelSpec:
    """What validation needs to know about one fine-tunable base model."""

    name: str
    encoding: str
    context_limit: int
    methods: tuple[str, ...]
    training_price_per_1m_tokens: float | None = None


class UnknownModelError(ValueError):
    """The model is neither a catalog entry nor an alias of one."""


CATALOG: Mapping[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec("gpt-4o-2024-08-06", "o200k_base", 65_536, (SUPERVISED, DPO), 25.0),
        ModelSpec("gpt-4o-mini-2024-07-18", "o200k_base", 65_536, (SUPERVISED,), 3.0),
        ModelSpec("gpt-4.1-2025-04-14", "o200k_base", 65_536, (SUPERVISED, DPO), 25.0),
        ModelSpec("gpt-4.1-mini-2025-04-14", "o200k_base", 65_536, (SUPERVISED, DPO), 5.0),
        ModelSpec("gpt-4.1-nano-2025-04-14", "o200k_base", 65_536, (SUPERVISED, DPO), 1.5),
        ModelSpec("gpt-35-turbo-0125", "cl100k_base", 16_385, (SUPERVISED,), 8.0),
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


def resolve_model(name: str, price_overrides: Mapping[str, float] | None = None) -> ModelSpec:
    """The catalog entry for `name` (an entry or an alias, case-insensitive).

    `price_overrides` maps model names or aliases to a training price per 1M tokens; a match
    wins over the built-in default so a price change is configuration, not a code change.
    """
    canonical = _canonical(name)
    spec = CATALOG.get(canonical)
    if spec is None:
        known = ", ".join(sorted([*CATALOG, *ALIASES]))
        raise UnknownModelError(f"unknown model {name!r}; known models: {known}")
    for key, price in (price_overrides or {}).items():
        if _canonical(key) == canonical:
            return replace(spec, training_price_per_1m_tokens=float(price))
    return spec


def _canonical(name: str) -> str:
    key = name.strip().lower()
    return ALIASES.get(key, key)
