"""A fixed bearer token as an azure-core credential, for local emulators only.

Azure uses Microsoft Entra ID (azure-identity). Locally, the Azure OpenAI emulator accepts its
API key as a bearer token on the ARM routes, so the real management client can talk to it
through the same code path it uses against Azure.
"""

from __future__ import annotations

import time
from typing import Any

from azure.core.credentials import AccessToken

__all__ = ["StaticTokenCredential"]


class StaticTokenCredential:
    """An azure-core `TokenCredential` that always returns the same token."""

    def __init__(self, token: str) -> None:
        self._token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self._token, int(time.time()) + 3600)

    def close(self) -> None:
        """Nothing to release; present because the management client closes its credential."""

    def __enter__(self) -> StaticTokenCredential:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
