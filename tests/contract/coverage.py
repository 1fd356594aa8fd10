"""Which spec operations the emulator serves, which contract tests claim them, which were checked.

`@covers(azure=..., v1=..., arm=...)` on a contract test names the operationIds it exercises, per
style. The claim is checked twice: statically (every operation the emulator's route table serves
is claimed by some test: test_coverage.py) and at run time (a test's own claims for the style it
ran in must each have answered at least once and conformed: the `recorder` fixture).
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from local.aoai.app import served_operations
from local.aoai.surfaces import Surface

__all__ = ["CLAIMED", "STYLES", "VALIDATED", "covers", "served", "summary"]

STYLES = ("azure", "v1", "arm")
CLAIMED: dict[str, set[str]] = {style: set() for style in STYLES}
VALIDATED: dict[str, set[str]] = {style: set() for style in STYLES}


def covers(
    *, azure: Iterable[str] = (), v1: Iterable[str] = (), arm: Iterable[str] = ()
) -> pytest.MarkDecorator:
    claims = {"azure": tuple(azure), "v1": tuple(v1), "arm": tuple(arm)}
    for style, ids in claims.items():
        CLAIMED[style].update(ids)
    return pytest.mark.covers(**claims)


def _style(surface: Surface) -> str:
    return "azure" if surface.azure_style else surface.value


def served() -> dict[str, set[str]]:
    """The operationIds the emulator's route table serves, per style."""
    table: dict[str, set[str]] = {style: set() for style in STYLES}
    for operation in served_operations():
        table[_style(operation.surface)].add(operation.operation_id)
    return table


def summary() -> list[str]:
    lines = []
    for style, operations in served().items():
        checked = VALIDATED[style] & operations
        missing = sorted(operations - checked)
        counted = f"{len(checked)}/{len(operations)}"
        line = f"contract coverage {style}: {counted} served operations checked against the specs"
        lines.append(line + (f"; not checked: {', '.join(missing)}" if missing else ""))
    return lines
