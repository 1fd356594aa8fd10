"""Load the Functions app and index its functions from the app's own decorator metadata.

The decorators of `azure.functions` and `azure.durable_functions` record each function's
trigger and bindings; DFApp already wraps orchestrators (context JSON in, state JSON out) and
durable-client functions (client JSON in). The host reads exactly that, so there is no second
registry to keep in sync with the app.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import json
import sys
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local.host.durable.engine import OrchestratorFunction


def _plain(value: Any) -> Any:
    """Enum members in the binding metadata (methods, auth level) as their string values."""
    return getattr(value, "value", value)


@dataclass
class TriggeredFunction:
    """A function the host invokes itself (HTTP, blob), maybe with a durable client binding."""

    name: str
    param: str
    function: Callable[..., Any]
    client_param: str | None

    async def call(self, argument: Any, client_json: str) -> Any:
        kwargs = {self.param: argument}
        if self.client_param:
            kwargs[self.client_param] = client_json
        if inspect.iscoroutinefunction(self.function):
            return await self.function(**kwargs)
        return await asyncio.to_thread(self.function, **kwargs)


@dataclass
class HttpFunction(TriggeredFunction):
    route: str = ""
    methods: list[str] | None = None
    auth_level: str = "function"


@dataclass
class BlobFunction(TriggeredFunction):
    path: str = ""
    connection: str = "AzureWebJobsStorage"


@dataclass
class ActivityFunction:
    name: str
    param: str
    function: Callable[..., Any]

    def run(self, input_json: str | None) -> str:
        """Call the activity as the Python worker does: JSON input decoded, result encoded."""
        result = self.function(**{self.param: json.loads(input_json) if input_json else None})
        if inspect.iscoroutine(result):
            result = asyncio.run(result)
        return json.dumps(result)


@dataclass
class IndexedApp:
    http: list[HttpFunction] = field(default_factory=list)
    blobs: list[BlobFunction] = field(default_factory=list)
    orchestrators: dict[str, OrchestratorFunction] = field(default_factory=dict)
    activities: dict[str, ActivityFunction] = field(default_factory=dict)


def load_app(app_dir: Path, module: str = "function_app") -> Any:
    """Import `<module>.app` with the app directory first on sys.path, as the worker does."""
    sys.path.insert(0, str(app_dir.resolve()))
    return importlib.import_module(module).app


_indexes: weakref.WeakKeyDictionary[Any, IndexedApp] = weakref.WeakKeyDictionary()


def index(app: Any) -> IndexedApp:
    """The app's functions; cached, because `get_functions()` refuses to run twice on one app."""
    if app not in _indexes:
        _indexes[app] = _index(app)
    return _indexes[app]


def _index(app: Any) -> IndexedApp:
    indexed = IndexedApp()
    for function in app.get_functions():
        name = function.get_function_name()
        trigger = {key: _plain(value) for key, value in function.get_trigger().get_dict_repr().items()}
        client = next((b.name for b in function.get_bindings() if b.type == "durableClient"), None)
        user_function = function.get_user_function()
        kind = trigger["type"]
        if kind == "httpTrigger":
            methods = [_plain(method).upper() for method in trigger.get("methods") or []] or None
            indexed.http.append(
                HttpFunction(
                    name,
                    trigger["name"],
                    user_function,
                    client,
                    route=trigger.get("route") or name,
                    methods=methods,
                    auth_level=str(trigger.get("authLevel") or "function").lower(),
                )
            )
        elif kind == "blobTrigger":
            indexed.blobs.append(
                BlobFunction(
                    name,
                    trigger["name"],
                    user_function,
                    client,
                    path=trigger["path"],
                    connection=trigger.get("connection") or "AzureWebJobsStorage",
                )
            )
        elif kind == "orchestrationTrigger":
            indexed.orchestrators[name] = user_function
        elif kind == "activityTrigger":
            indexed.activities[name] = ActivityFunction(name, trigger["name"], user_function)
        else:
            raise ValueError(f"function '{name}': the dev host does not support {kind} triggers")
    return indexed
