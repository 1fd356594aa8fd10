"""The model catalog and the offline, hash-checked encodings."""

from __future__ import annotations

import shutil

import pytest
import tiktoken.load

from tuning import tokenizers
from tuning.catalog import CATALOG, UnknownModelError, resolve_model
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
    assert resolve_model("gpt-35-turbo-0125").context_limit == 16_385
    assert resolve_model("gpt-4o-2024-08-06").context_limit == 65_536
    assert "dpo" in resolve_model("gpt-4o").methods and "dpo" not in resolve_model("gpt-35-turbo").methods


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
    def no_network(*_args, **_kwargs):
        raise AssertionError("tried to fetch an encoding")

    monkeypatch.setattr(tiktoken.load, "read_file", no_network)
    monkeypatch.setattr(tiktoken.load, "read_file_cached", no_network)
    encoding = tokenizers.get_encoding.__wrapped__("cl100k_base")
    assert encoding.encode_ordinary("hello world") == [15339, 1917]
    assert get_encoding("o200k_base") is get_encoding("o200k_base")


def test_a_tampered_encoding_file_is_refused(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(tokenizers.ENCODINGS_DIR, tmp_path, dirs_exist_ok=True)
    with open(tmp_path / "cl100k_base.tiktoken", "ab") as file:
        file.write(b"AAAA 100300\n")
    monkeypatch.setattr(tokenizers, "ENCODINGS_DIR", tmp_path)
    with pytest.raises(EncodingError, match="SHA-256"):
        tokenizers.get_encoding.__wrapped__("cl100k_base")


def test_unknown_encoding_is_refused() -> None:
    with pytest.raises(EncodingError, match="r50k_base"):
        tokenizers.get_encoding.__wrapped__("r50k_base")
