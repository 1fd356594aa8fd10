"""The model catalog and the offline, hash-checked encodings."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest
import tiktoken.load

from tuning import tokenizers
from tuning.catalog import (
    CATALOG,
    DEPLOYMENT_SKUS,
    TRAINING_TYPES,
    UnknownModelError,
    UnsupportedCombinationError,
    check_training_combination,
    parse_training_type,
    resolve_model,
    training_type_api_value,
)
from tuning.tokenizers import EncodingError, get_encoding

REQUIRED = [
    "gpt-4o-2024-08-06",
    "gpt-4o-mini-2024-07-18",
    "gpt-4.1-2025-04-14",
    "gpt-4.1-mini-2025-04-14",
    "gpt-4.1-nano-2025-04-14",
    "gpt-35-turbo-0125",
]


def test_catalog_has_the_required_models_with_their_encoding_family() -> None:
    assert set(REQUIRED) <= set(CATALOG)
    for name in REQUIRED:
        expected = "cl100k_base" if name.startswith("gpt-35") else "o200k_base"
        assert resolve_model(name).encoding == expected
        assert "supervised" in resolve_model(name).methods
    assert "dpo" in resolve_model("gpt-4o").methods and "dpo" not in resolve_model("gpt-35-turbo").methods


@pytest.mark.parametrize(
    ("model", "facts"),
    [
        ("gpt-4o", (65_536, True, True, TRAINING_TYPES, ("Standard", "GlobalStandard"))),
        ("gpt-4o-mini", (65_536, False, False, TRAINING_TYPES, ("Standard", "GlobalStandard"))),
        ("gpt-4.1", (65_536, True, True, TRAINING_TYPES, DEPLOYMENT_SKUS)),
        ("gpt-4.1-mini", (65_536, True, False, TRAINING_TYPES, DEPLOYMENT_SKUS)),
        ("gpt-4.1-nano", (32_768, False, False, TRAINING_TYPES, DEPLOYMENT_SKUS)),
        ("gpt-35-turbo", (16_385, False, False, ("Standard",), ("Standard",))),
    ],
)
def test_per_model_facts_from_the_docs(model: str, facts: tuple[object, ...]) -> None:
    """(context limit, DPO, images, training types, deployment SKUs) as the docs give them."""
    spec = resolve_model(model)
    assert "supervised" in spec.methods
    assert (
        spec.context_limit,
        "dpo" in spec.methods,
        spec.supports_images,
        spec.training_types,
        spec.deployment_skus,
    ) == facts


def test_global_and_developer_training_are_priced_below_standard() -> None:
    for spec in CATALOG.values():
        prices = [spec.training_price(kind) or 0.0 for kind in spec.training_types]
        assert all(prices) and prices == sorted(prices, reverse=True)
        assert spec.training_price_per_1m_tokens == spec.training_price("Standard")
    assert resolve_model("gpt-35-turbo").training_price("GlobalStandard") is None  # not offered


def test_flat_price_overrides_by_model_or_model_and_training_type() -> None:
    overrides = {"gpt-4o": 20.0, "gpt-4o-2024-08-06/developerTier": 4.0, "gpt-4.1/GlobalStandard": 9.0}
    spec = resolve_model("GPT-4o", overrides)
    assert [spec.training_price(kind) for kind in TRAINING_TYPES] == [20.0, 20.0, 4.0]
    other = resolve_model("gpt-4.1", overrides)
    assert other.training_price("GlobalStandard") == 9.0
    assert other.training_price("Standard") == CATALOG["gpt-4.1-2025-04-14"].training_price("Standard")


@pytest.mark.parametrize(
    ("spelling", "name", "api"),
    [
        ("standard", "Standard", "standard"),
        ("GlobalStandard", "GlobalStandard", "globalStandard"),
        ("globalstandard", "GlobalStandard", "globalStandard"),
        ("Developer", "Developer", "developerTier"),
        ("developerTier", "Developer", "developerTier"),
    ],
)
def test_training_type_spellings(spelling: str, name: str, api: str) -> None:
    assert parse_training_type(spelling) == name and training_type_api_value(spelling) == api


def test_unsupported_combinations_list_what_the_model_supports() -> None:
    check_training_combination(resolve_model("gpt-4.1-mini"), "dpo", "developerTier")
    with pytest.raises(UnsupportedCombinationError) as caught:
        check_training_combination(resolve_model("gpt-35-turbo"), "dpo", "Developer")
    message = str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert "'dpo' method" in message and "Developer training type" in message
    assert "methods supervised and training types Standard" in message
    with pytest.raises(
        UnsupportedCombinationError, match="training types are Standard, GlobalStandard, Developer"
    ):
        parse_training_type("premium")


def test_tokenizers_use_no_test_helpers() -> None:
    tree = ast.parse(Path(tokenizers.__file__).read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not any(name.startswith("unittest") for name in imported), imported


@pytest.mark.parametrize(
    ("alias", "name"),
    [
        ("gpt-4o", "gpt-4o-2024-08-06"),
        ("GPT-4.1-mini", "gpt-4.1-mini-2025-04-14"),
        ("gpt-3.5-turbo", "gpt-35-turbo-0125"),
    ],
)
def test_aliases_resolve(alias: str, name: str) -> None:
    assert resolve_model(alias).name == name


def test_unknown_model_names_itself_and_the_known_ones() -> None:
    with pytest.raises(UnknownModelError) as caught:
        resolve_model("gpt-5-turbo-max")
    assert isinstance(caught.value, ValueError)
    assert "gpt-5-turbo-max" in str(caught.value) and "gpt-4o-2024-08-06" in str(caught.value)


def test_price_overrides_win_over_the_default() -> None:
    assert resolve_model("gpt-4o", {"gpt-4o-2024-08-06": 1.5}).training_price_per_1m_tokens == 1.5
    assert resolve_model("gpt-4o-2024-08-06", {"gpt-4o": 2.5}).training_price_per_1m_tokens == 2.5
    assert (
        resolve_model("gpt-4o", {"gpt-4.1": 9.0}).training_price_per_1m_tokens
        == CATALOG["gpt-4o-2024-08-06"].training_price_per_1m_tokens
    )


def test_encodings_load_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*_args: object, **_kwargs: object) -> bytes:
        raise AssertionError("tried to fetch an encoding")

    monkeypatch.setattr(tiktoken.load, "read_file", no_network)
    monkeypatch.setattr(tiktoken.load, "read_file_cached", no_network)
    encoding = tokenizers.get_encoding.__wrapped__("cl100k_base")
    assert encoding.encode_ordinary("hello world") == [15339, 1917]
    assert get_encoding("o200k_base") is get_encoding("o200k_base")


def test_a_tampered_encoding_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(tokenizers.ENCODINGS_DIR, tmp_path, dirs_exist_ok=True)
    with open(tmp_path / "cl100k_base.tiktoken", "ab") as file:
        file.write(b"AAAA 100300\n")
    monkeypatch.setattr(tokenizers, "ENCODINGS_DIR", tmp_path)
    with pytest.raises(EncodingError, match="SHA-256"):
        tokenizers.get_encoding.__wrapped__("cl100k_base")


def test_unknown_encoding_is_refused() -> None:
    with pytest.raises(EncodingError, match="r50k_base"):
        tokenizers.get_encoding.__wrapped__("r50k_base")
