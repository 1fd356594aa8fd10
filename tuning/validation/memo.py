"""Remembering per-text results: roles, names and system prompts repeat on nearly every line of
a dataset, so their token counts and digests are computed once, within a memory bound."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

__all__ = ["MAX_REMEMBERED", "MAX_REMEMBERED_CHARS", "remember_short_texts"]

MAX_REMEMBERED_CHARS = 4096
MAX_REMEMBERED = 4096
T = TypeVar("T")


def remember_short_texts(compute: Callable[[str], T]) -> Callable[[str], T]:
    """`compute`, remembering its results for texts of up to MAX_REMEMBERED_CHARS characters;
    the memory is emptied when it holds MAX_REMEMBERED of them. A plain closure, not an
    object, because it is called for every string of every example."""
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

    return lookup
