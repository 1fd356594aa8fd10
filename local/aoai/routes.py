"""The route table: every operation the emulator serves, named by its spec's operationId.

Data-plane modules declare each route once with the operationId it implements on the Azure
routes (`azure`, authoring or inference spec) and on OpenAI's `/openai/v1/` routes (`v1`);
`operations()` expands them under both prefixes. ARM routes name their ARM operationId. The
same table registers the aiohttp routes and answers `GET /_emulator/operations`, so the
contract tests know exactly which operations must be covered.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from aiohttp import web

from local.aoai.surfaces import Surface, surface_for_path

__all__ = ["AZURE_PREFIX", "V1_PREFIX", "Handler", "Operation", "Route", "operations"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
AZURE_PREFIX = "/openai"
V1_PREFIX = "/openai/v1"


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    azure: str | None = None
    v1: str | None = None
    arm: str | None = None


@dataclass(frozen=True)
class Operation:
    surface: Surface
    method: str
    path: str
    operation_id: str
    handler: Handler

    def to_json(self) -> dict[str, str]:
        return {
            "surface": self.surface.value,
            "method": self.method,
            "path": self.path,
            "operation_id": self.operation_id,
        }


def _operation(method: str, path: str, operation_id: str, handler: Handler) -> Operation:
    return Operation(surface_for_path(path), method, path, operation_id, handler)


def operations(data_plane: Iterable[Route], arm: Iterable[Route]) -> list[Operation]:
    served = []
    for route in data_plane:
        if route.azure:
            served.append(_operation(route.method, AZURE_PREFIX + route.path, route.azure, route.handler))
        if route.v1:
            served.append(_operation(route.method, V1_PREFIX + route.path, route.v1, route.handler))
    served += [_operation(r.method, r.path, r.arm, r.handler) for r in arm if r.arm]
    return served
