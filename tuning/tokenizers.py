"""Offline tiktoken encodings loaded from the files the project ships in tuning/encodings/.

Function apps often have no outbound internet, so nothing here ever downloads: the BPE ranks
are read from our own files after their SHA-256 is checked against SHA256SUMS. The regex and
special tokens still come from tiktoken's own definitions (tiktoken_ext.openai_public), so the
encodings are the real ones rather than a hand-copied twin: tiktoken's constructor runs as a
copy whose loader answers with our verified ranks, and the hash tiktoken pins must equal ours.
"""

from __future__ import annotations

import base64
import hashlib
import types
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import tiktoken

# tiktoken_ext ships no type information; only its constructor table is used here.
from tiktoken_ext import openai_public  # type: ignore[import-untyped]

__all__ = [
    "ENCODINGS_DIR",
    "EncodingError",
    "available_encodings",
    "get_encoding",
    "ordinary_token_counter",
    "shipped_hashes",
    "shipped_special_tokens",
]

ENCODINGS_DIR = Path(__file__).resolve().parent / "encodings"


class EncodingError(RuntimeError):
    """An encoding is unknown, missing from tuning/encodings, or its file fails the hash check."""


def shipped_hashes() -> dict[str, str]:
    """Encoding name -> SHA-256 from tuning/encodings/SHA256SUMS."""
    hashes = {}
    for line in (ENCODINGS_DIR / "SHA256SUMS").read_text().splitlines():
        if line.strip():
            digest, filename = line.split()
            hashes[filename.removesuffix(".tiktoken")] = digest.lower()
    return hashes


def available_encodings() -> list[str]:
    return sorted(shipped_hashes())


def _load_ranks(name: str) -> dict[bytes, int]:
    expected = shipped_hashes().get(name)
    if expected is None:
        raise EncodingError(f"encoding {name!r} is not shipped; available: {available_encodings()}")
    data = (ENCODINGS_DIR / f"{name}.tiktoken").read_bytes()
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise EncodingError(f"{name}.tiktoken has SHA-256 {actual}, expected {expected}")
    ranks = {}
    for line in data.splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks


RanksLoader = Callable[..., dict[bytes, int]]


def _shipped_ranks_loader(name: str) -> RanksLoader:
    """A stand-in for tiktoken's downloader that answers with our verified ranks for `name`."""

    def shipped_ranks(url: str, expected_hash: str | None = None) -> dict[bytes, int]:
        ranks = _load_ranks(name)  # refuses an encoding we do not ship, or a file that fails its hash
        if not url.endswith(f"/{name}.tiktoken"):
            raise EncodingError(f"{name} asks for {url}, which is not shipped in {ENCODINGS_DIR}")
        if expected_hash is not None and expected_hash.lower() != shipped_hashes()[name]:
            raise EncodingError(f"tiktoken pins {expected_hash} for {name}, we ship another file")
        return ranks

    return shipped_ranks


def _no_ranks(url: str, expected_hash: str | None = None) -> dict[bytes, int]:
    return {}


def _encoding_parameters(name: str, load_ranks: RanksLoader) -> dict[str, Any]:
    """tiktoken's constructor for `name`, run with `load_ranks` in place of its downloader.

    The copy gets its own globals, so tiktoken's module is never modified: a thread loading
    another encoding at the same time is unaffected, and no test helper runs in production.
    """
    constructor: types.FunctionType | None = openai_public.ENCODING_CONSTRUCTORS.get(name)
    if constructor is None:
        raise EncodingError(f"unknown encoding {name!r}; available: {available_encodings()}")
    offline = types.FunctionType(
        constructor.__code__,
        {**constructor.__globals__, "load_tiktoken_bpe": load_ranks},
        constructor.__name__,
        constructor.__defaults__,
        constructor.__closure__,
    )
    parameters: dict[str, Any] = offline()
    return parameters


@cache
def get_encoding(name: str) -> tiktoken.Encoding:
    """The tiktoken encoding `name`, built from the shipped, hash-checked file; cached per name."""
    return tiktoken.Encoding(**_encoding_parameters(name, _shipped_ranks_loader(name)))


@cache
def shipped_special_tokens() -> frozenset[str]:
    """The special tokens tiktoken defines for every shipped encoding, read from its constructors
    without loading any ranks (cheap enough for every validation worker)."""
    return frozenset(
        token
        for name in available_encodings()
        for token in _encoding_parameters(name, _no_ranks)["special_tokens"]
    )


def ordinary_token_counter(encoding: tiktoken.Encoding) -> Callable[[str], int]:
    """A function equal to `len(encoding.encode_ordinary(text))` that builds no list of tokens.

    Counting is most of validation time, and a Python int per token is a good part of it.
    tiktoken's core can encode into a buffer instead, with `encode`, which given no allowed
    special token reads special tokens as ordinary text, exactly as encode_ordinary does
    (tiktoken documents encode_ordinary as `encode(text, disallowed_special=())`; the wrapper's
    search for disallowed tokens is all that the empty set skips). Text the core refuses (lone
    surrogates, which the wrapper repairs first) goes to encode_ordinary itself. A probe at
    construction falls back to encode_ordinary should a tiktoken release change the buffer.
    """
    encode_to_buffer = encoding._core_bpe.encode_to_tiktoken_buffer
    none_allowed: frozenset[str] = frozenset()

    def listed(text: str) -> int:
        return len(encoding.encode_ordinary(text))

    def buffered(text: str) -> int:
        try:
            view = memoryview(encode_to_buffer(text, none_allowed))
        except ValueError:  # UnicodeEncodeError included
            return listed(text)
        return view.nbytes // view.itemsize

    probe = "a probe: <|endoftext|> 東京 🙂\n  "
    return buffered if buffered(probe) == listed(probe) else listed
