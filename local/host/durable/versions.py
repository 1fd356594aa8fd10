"""Orchestration versioning: which version a new instance gets, and which instances this host may run.

As documented for Durable Functions ("Orchestration versioning"): a new orchestration or
sub-orchestration gets the version it was started with, else host.json's `defaultVersion`;
`versionMatchStrategy` (None, Strict, CurrentOrOlder) says which instance versions this host
runs and `versionFailureStrategy` (Reject, Fail) what happens to the others. Versions compare
like DurableTask.Core's `VersioningSettings.CompareVersions`: empty equals empty and is older
than anything, two `System.Version`-shaped strings compare numerically, anything else compares
as case-insensitive text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from local.host.settings import HostSettings

__all__ = ["VersionPolicy", "compare_versions"]

_DOTNET_VERSION = re.compile(r"\d+(\.\d+){1,3}")


def _numeric(version: str) -> tuple[int, ...] | None:
    """`System.Version.TryParse`: two to four numeric parts; missing parts sort before zero."""
    if not _DOTNET_VERSION.fullmatch(version):
        return None
    parts = [int(part) for part in version.split(".")]
    return (*parts, *[-1] * (4 - len(parts)))


def compare_versions(first: str | None, second: str | None) -> int:
    """-1, 0 or 1, as DurableTask.Core compares orchestration versions."""
    if not first or not second:
        return (bool(first) > bool(second)) - (bool(first) < bool(second))
    left, right = _numeric(first), _numeric(second)
    if left is not None and right is not None:
        return (left > right) - (left < right)
    upper_first, upper_second = first.upper(), second.upper()
    return (upper_first > upper_second) - (upper_first < upper_second)


@dataclass(frozen=True)
class VersionPolicy:
    """host.json's versioning settings, applied to new instances and to every episode."""

    default_version: str | None = None
    match_strategy: str = "CurrentOrOlder"
    failure_strategy: str = "Reject"

    @classmethod
    def from_settings(cls, settings: HostSettings) -> VersionPolicy:
        return cls(
            settings.default_version, settings.version_match_strategy, settings.version_failure_strategy
        )

    def version_for(self, requested: str | None) -> str | None:
        """An explicit version wins; otherwise the current `defaultVersion`."""
        return requested if requested is not None else self.default_version

    def mismatch(self, version: str | None) -> str | None:
        """Why this host must not run an instance of `version` (None when it may).

        Versioning is off while no `defaultVersion` is configured, as in the extension.
        """
        if self.default_version is None or self.match_strategy == "None":
            return None
        comparison = compare_versions(version, self.default_version)
        if self.match_strategy == "Strict" and comparison != 0:
            return (
                f"The orchestration version '{version or ''}' does not match "
                f"the worker version '{self.default_version}'."
            )
        if self.match_strategy == "CurrentOrOlder" and comparison > 0:
            return (
                f"The orchestration version '{version}' is greater than "
                f"the worker version '{self.default_version}'."
            )
        return None
