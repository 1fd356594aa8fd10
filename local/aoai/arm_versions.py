"""The api-versions Azure Resource Manager accepts for Microsoft.CognitiveServices.

Every version the spec family defines, from the AutoRest configuration that lists them
(Azure/azure-rest-api-specs, specification/cognitiveservices/resource-manager/readme.md at
commit 0000bae46a7c62ddf5f67fb09ad454015d814d14, one `### Tag:` per version). Real ARM refuses
any other version with `NoRegisteredProviderFound` and the list of supported ones; so does the
emulator. The installed azure-mgmt-cognitiveservices 14.1.0 sends 2025-09-01, the vendored spec's
version; Microsoft's docs and scripts use 2024-10-01.
"""

from __future__ import annotations

__all__ = ["API_VERSIONS"]

API_VERSIONS = (
    "2016-02-01-preview",
    "2017-04-18",
    "2021-04-30",
    "2021-10-01",
    "2022-03-01",
    "2022-10-01",
    "2022-12-01",
    "2023-05-01",
    "2023-10-01-preview",
    "2024-04-01-preview",
    "2024-06-01-preview",
    "2024-10-01",
    "2025-04-01-preview",
    "2025-06-01",
    "2025-07-01-preview",
    "2025-09-01",
    "2025-10-01-preview",
    "2025-12-01",
    "2026-01-15-preview",
    "2026-03-01",
    "2026-03-15-preview",
)
