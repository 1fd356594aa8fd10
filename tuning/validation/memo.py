"""Remembering per-text results: roles, names and system prompts repeat on nearly every line of
a dataset, so their token counts and digests are computed once, within a memory bound."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["MAX_REMEMBERED", "MAX_REMEMBERED_CHARS", "ShortTextMemory", "remember_short_texts"]

MAX_REMEMBERED_CHARS = 4096
MAX_REMEMBERED = 4096
T = TypeVar("T")


@dataclass(frozen=True)
class ShortTextMemory(Generic[T]):
    """`lookup(text)`: the result for `text`, computed once while remembered; `known(text)`:
    whether it is remembered (nothing is computed)."""

    lookup: Callable[[str], T]
    known: Callable[[str], bool]


def remember_short_texts(compute: Callable[[str], T]) -> ShortTextMemory[T]:
    """`compute`, remembering its results for texts of up to MAX_REMEMBERED_CHARS characters;
    the memory is emptied when it holds MAX_REMEMBERED of them. Plain closures, not methods,
    because lookup is called for every string of every example."""
    remembered: dict[str, T] = {}

    def lookup(text: str) -> T:
        value = remembered.get(text)
        if value is None:
            value = compute(text)
            if len(text) <= MAX_REMEMBERED_CHARS:
                if len(remembered) >= MAX_REMEMBERED:
                    remembered.clear()
                remembered[text] = value
        return value

    return ShortTextMemory(lookup, remembered.__contains__)
