"""Key checks, answered with the body each surface sends when they fail.

The data plane takes the key as `api-key` or as a bearer token (what AzureOpenAI and
OpenAI(base_url=...) send); ARM takes only a bearer token. The emulator has one key; the
lead's StaticTokenCredential hands it to azure-mgmt clients as their access token.
"""

from __future__ import annotations

import hmac

from aiohttp import web

from local.aoai.errors import ApiError, Kind

__all__ = ["check_arm", "check_data_plane"]

DATA_PLANE_DENIED = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid "
    "key for an active subscription and use a correct regional API endpoint for your resource."
)


def _matches(given: str | None, key: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), key.encode())


def _bearer(request: web.Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def check_data_plane(request: web.Request, key: str) -> None:
    if not (_matches(request.headers.get("api-key"), key) or _matches(_bearer(request), key)):
        raise ApiError(Kind.UNAUTHORIZED, DATA_PLANE_DENIED)


def check_arm(request: web.Request, key: str) -> None:
    challenge = {"WWW-Authenticate": 'Bearer authorization_uri="https://login.microsoftonline.com/common"'}
    if "Authorization" not in request.headers:
        raise ApiError(
            Kind.UNAUTHORIZED,
            "Authentication failed. The 'Authorization' header is missing.",
            code="AuthenticationFailed",
            headers=challenge,
        )
    if not _matches(_bearer(request), key):
        raise ApiError(
            Kind.UNAUTHORIZED,
            "The access token is invalid.",
            code="InvalidAuthenticationToken",
            headers=challenge,
        )
