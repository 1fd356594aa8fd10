"""The function key: one secret for function-, admin- and system-level (Durable API) routes.

Taken from DEVHOST_FUNCTION_KEY when set, else from a key file in the state directory that
is created, and printed, on the first start.
"""

from __future__ import annotations

import hmac
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

__all__ = ["KEY_ENV", "function_key", "is_authorized"]

KEY_ENV = "DEVHOST_FUNCTION_KEY"
KEY_FILE = "function-key"


def function_key(state_dir: Path) -> str:
    if os.environ.get(KEY_ENV):
        return os.environ[KEY_ENV]
    path = state_dir / KEY_FILE
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(32)
    state_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(key + "\n")
    path.chmod(0o600)
    print(f"Created the function key (kept in {path}): {key}", flush=True)
    return key


def is_authorized(key: str, headers: Mapping[str, str], query: Mapping[str, str]) -> bool:
    """`x-functions-key` header or `code` query parameter, compared in constant time."""
    given = headers.get("x-functions-key") or query.get("code") or ""
    return hmac.compare_digest(given.encode(), key.encode())
