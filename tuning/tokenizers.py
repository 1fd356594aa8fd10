"""Offline tiktoken encodings loaded from the files the project ships in tuning/encodings/.

Function apps often have no outbound internet, so nothing here ever downloads: the BPE ranks
are read from our own files after their SHA-256 is checked against SHA256SUMS. The regex and
special tokens still come from tiktoken's own definitions (tiktoken_ext.openai_public), so the
encodings are the real ones rather than a hand-copied twin; their loader is intercepted only
to hand over our verified ranks, and the hash tiktoken pins must equal ours.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from functools import cache
from pathlib import Path
from unittest import mock

import tiktoken
from tiktoken_ext import openai_public

ENCODINGS_DIR = Path(__file__).resolve().parent / "encodings"
_constructor_lock = threading.Lock()


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


@cache
def get_encoding(name: str) -> tiktoken.Encoding:
    """The tiktoken encoding `name`, built from the shipped, hash-checked file; cached per name."""
    constructor = openai_public.ENCODING_CONSTRUCTORS.get(name)
    if constructor is None:
        raise EncodingError(f"unknown encoding {name!r}; available: {available_encodings()}")
    ranks = _load_ranks(name)

    download = openai_public.load_tiktoken_bpe

    def verified_ranks(url: str, expected_hash: str | None = None) -> dict[bytes, int]:
        if not url.endswith(f"/{name}.tiktoken"):  # another thread's load: not ours to answer
            return download(url, expected_hash)
        if expected_hash is not None and expected_hash.lower() != shipped_hashes()[name]:
            raise EncodingError(f"tiktoken pins {expected_hash} for {name}, we ship another file")
        return ranks

    with _constructor_lock, mock.patch.object(openai_public, "load_tiktoken_bpe", verified_ranks):
        params = constructor()
    return tiktoken.Encoding(**params)
