"""Which models the emulated resource can fine-tune and deploy, and which SKUs it sells.

Fine-tunable ids are the dated base models Azure OpenAI accepts in `fine_tuning.jobs.create`;
deployable names add the undated family names an ARM deployment may use. Fine-tuned models
and their checkpoints become deployable once their job has produced them (see jobs.py).
"""

from __future__ import annotations

FINE_TUNABLE: dict[str, frozenset[str]] = {
    "gpt-4o-2024-08-06": frozenset({"supervised", "dpo"}),
    "gpt-4o-mini-2024-07-18": frozenset({"supervised", "dpo"}),
    "gpt-4.1-2025-04-14": frozenset({"supervised", "dpo"}),
    "gpt-4.1-mini-2025-04-14": frozenset({"supervised", "dpo"}),
    "gpt-4.1-nano-2025-04-14": frozenset({"supervised", "dpo"}),
    "gpt-35-turbo-0125": frozenset({"supervised"}),
    "gpt-35-turbo-1106": frozenset({"supervised"}),
}

BASE_DEPLOYABLE = frozenset(FINE_TUNABLE) | {
    "gpt-4o",
    "gpt-4o-mini",
    "gpt-4.1",
    "gpt-4.1-mini",
    "gpt-4.1-nano",
    "gpt-35-turbo",
}

SKUS = (
    "Standard",
    "GlobalStandard",
    "DataZoneStandard",
    "DeveloperTier",
    "ProvisionedManaged",
    "GlobalProvisionedManaged",
    "DataZoneProvisionedManaged",
)


def canonical_sku(name: str) -> str | None:
    """ARM matches SKU names case-insensitively; answer with the canonical spelling."""
    return next((sku for sku in SKUS if sku.lower() == name.lower()), None)
