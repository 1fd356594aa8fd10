"""Which API surface a request addresses, and so which specification its answer follows.

One emulator serves four surfaces, each with its own spec and its own conventions for
statuses, status codes and error bodies:

- `AUTHORING`: `/openai/...?api-version=` (files, uploads, fine-tuning), the Azure OpenAI
  authoring spec 2025-04-01-preview;
- `INFERENCE`: `/openai/deployments/{deployment}/chat/completions?api-version=`, the Azure
  OpenAI inference spec;
- `V1`: `/openai/v1/...`, OpenAI's own OpenAPI document;
- `ARM`: `/subscriptions/...`, the Microsoft.CognitiveServices resource-manager spec.

`ADMIN` is the emulator's own `/_emulator/` routes, which no spec describes.
"""

from __future__ import annotations

from enum import StrEnum

from aiohttp import web

__all__ = ["Surface", "surface_for_path", "surface_of"]


class Surface(StrEnum):
    AUTHORING = "authoring"
    INFERENCE = "inference"
    V1 = "v1"
    ARM = "arm"
    ADMIN = "admin"

    @property
    def azure_style(self) -> bool:
        """The dated `api-version` routes: Azure's statuses, codes and optional-field rules."""
        return self in (Surface.AUTHORING, Surface.INFERENCE)


def surface_for_path(path: str) -> Surface:
    if path.startswith("/subscriptions/"):
        return Surface.ARM
    if path == "/openai/v1" or path.startswith("/openai/v1/"):
        return Surface.V1
    if path.startswith("/openai/deployments/"):
        return Surface.INFERENCE
    if path.startswith("/openai/"):
        return Surface.AUTHORING
    return Surface.ADMIN


def surface_of(request: web.Request) -> Surface:
    return surface_for_path(request.path)
