"""Load the Functions app the way the Python worker does, and index its functions from their metadata.

The worker imports the script (`PYTHON_SCRIPT_FILE_NAME`, default `function_app.py`) and takes
the one top-level `FunctionRegister` instance (a `FunctionApp` or `DFApp`, whatever its name);
none, or more than one, is an error with the worker's wording. The decorators of
`azure.functions` and `azure.durable_functions` record each function's trigger and bindings;
DFApp already wraps orchestrators (context JSON in, state JSON out), entities (entity context
JSON in, entity state JSON out) and durable-client functions (client JSON in). The host reads
exactly that, so there is no second registry to keep in sync with the app.

A function the dev host cannot run (a trigger or binding type it does not implement, an
annotation the worker would refuse) is reported and left out; the others are served.
"""

from __future__ import annotations

import importlib
import inspect
import json
import logging
import os
import sys
import typing
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from types import ModuleType
from typing import Any, TypedDict

import azure.functions as func

from local.host.bindings import BlobBinding
from local.host.durable.activities import decode_input, encode_output
from local.host.durable.engine import OrchestratorFunction
from local.host.durable.entities import EntityFunction
from local.host.invoke import invoke_sync

__all__ = [
    "DEFAULT_SCRIPT",
    "ActivityFunction",
    "AppFunction",
    "AppLoadError",
    "BlobFunction",
    "HttpFunction",
    "IndexedApp",
    "TimerFunction",
    "find_app",
    "index",
    "load_app",
]

log = logging.getLogger("devhost.indexing")

SCRIPT_SETTING = "PYTHON_SCRIPT_FILE_NAME"
DEFAULT_SCRIPT = "function_app.py"
_HOST_TRIGGERS = (
    "httpTrigger",
    "blobTrigger",
    "timerTrigger",
    "activityTrigger",
    "orchestrationTrigger",
    "entityTrigger",
)


class AppLoadError(Exception):
    """The script has no function app object, or more than one (the worker's indexing errors)."""


def _plain(value: Any) -> Any:
    """Enum members in the binding metadata as the host reads them: string enums (methods, auth
    level) by value, int enums (direction, dataType) by name."""
    if isinstance(value, Enum):
        return value.value if isinstance(value.value, str) else value.name
    return value


@dataclass
class AppFunction:
    """A function the host invokes with a trigger value, plus the bindings around the call."""

    name: str
    param: str
    function: Callable[..., Any]
    client_param: str | None = None
    blob_inputs: list[BlobBinding] = field(default_factory=list)
    blob_outputs: list[BlobBinding] = field(default_factory=list)
    context_param: bool = False
    directory: str = ""


class _Surroundings(TypedDict):
    """The AppFunction fields every trigger kind shares."""

    client_param: str | None
    blob_inputs: list[BlobBinding]
    blob_outputs: list[BlobBinding]
    context_param: bool
    directory: str


@dataclass
class HttpFunction(AppFunction):
    route: str = ""
    methods: list[str] | None = None
    auth_level: str = "function"


@dataclass
class BlobFunction(AppFunction):
    path: str = ""
    connection: str = "AzureWebJobsStorage"
    annotation: Any = None


@dataclass
class TimerFunction(AppFunction):
    schedule: str = ""
    run_on_startup: bool = False
    use_monitor: bool = True


@dataclass
class ActivityFunction(AppFunction):
    def run(self, input_json: str | None) -> str:
        """Call the activity as the Python worker does, through the SDK's ActivityTriggerConverter:
        the input decoded with `df_loads`, the result encoded with `df_dumps` (custom classes with
        `to_json`/`from_json` included, strict typing honoured)."""
        return encode_output(invoke_sync(self, decode_input(input_json), _binding_data(input_json)))


@dataclass
class IndexedApp:
    http: list[HttpFunction] = field(default_factory=list)
    blobs: list[BlobFunction] = field(default_factory=list)
    timers: list[TimerFunction] = field(default_factory=list)
    orchestrators: dict[str, OrchestratorFunction] = field(default_factory=dict)
    activities: dict[str, ActivityFunction] = field(default_factory=dict)
    entities: dict[str, EntityFunction] = field(default_factory=dict)
    disabled: dict[str, str] = field(default_factory=dict)
    """Functions left out, with the reason (the host serves the others)."""


def load_app(app_dir: Path, script: str | None = None) -> func.FunctionRegister:
    """Import the app's script with the app directory first on sys.path, and return its app object."""
    script = script or os.environ.get(SCRIPT_SETTING) or DEFAULT_SCRIPT
    if not (app_dir / script).is_file():
        raise AppLoadError(f"{app_dir / script}: the function app script does not exist")
    sys.path.insert(0, str(app_dir.resolve()))
    return find_app(importlib.import_module(Path(script).stem), script)


def find_app(module: ModuleType, script: str = DEFAULT_SCRIPT) -> func.FunctionRegister:
    """The one top-level FunctionRegister of a module, whatever its name (the worker's rule)."""
    found: func.FunctionRegister | None = None
    for name in module.__dir__():
        value = getattr(module, name, None)
        if isinstance(value, func.FunctionRegister):
            if found is not None:
                kind = type(found).__name__
                raise AppLoadError(
                    f"More than one {kind} or other top level function app instances are defined."
                )
            found = value
    if found is None:
        raise AppLoadError(f"Could not find top level function app instances in {script}.")
    return found


_indexes: weakref.WeakKeyDictionary[Any, IndexedApp] = weakref.WeakKeyDictionary()


def index(app: Any) -> IndexedApp:
    """The app's functions; cached, because `get_functions()` refuses to run twice on one app."""
    if app not in _indexes:
        _indexes[app] = _index(app)
    return _indexes[app]


def _binding_data(input_json: str | None) -> dict[str, Any]:
    """An activity's binding data: the properties of its input when that is a JSON object."""
    try:
        value = json.loads(input_json) if input_json else None
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _annotations(function: Callable[..., Any]) -> dict[str, Any]:
    try:
        return typing.get_type_hints(function)
    except Exception:  # unresolvable forward references: fall back to the raw annotations
        return dict(getattr(function, "__annotations__", {}))


def _out_type(annotation: Any) -> tuple[bool, Any]:
    """(is `func.Out[...]`, the inner type) for an annotation."""
    origin = typing.get_origin(annotation) or annotation
    if isinstance(origin, type) and issubclass(origin, func.Out):
        args = typing.get_args(annotation)
        return True, args[0] if args else None
    return False, annotation


def _blob_binding(name: str, binding: dict[str, Any], annotation: Any, direction: str) -> BlobBinding:
    """A blob binding, checked as the worker checks a parameter's annotation against its binding."""
    is_out, inner = _out_type(annotation)
    if direction == "OUT" and annotation is not None and not is_out:
        raise ValueError(
            f'binding {name} is declared to have the "out" direction, but its annotation in Python '
            "is not a subclass of azure.functions.Out"
        )
    if direction == "IN" and is_out:
        raise ValueError(
            f'binding {name} is declared to have the "in" direction, '
            "but its annotation is azure.functions.Out"
        )
    allowed = (str, bytes, bytearray, func.InputStream)
    if inner is not None and not (isinstance(inner, type) and issubclass(inner, allowed)):
        raise ValueError(f'type of {name} binding "blob" does not match its Python annotation "{inner}"')
    data_type = str(binding.get("dataType") or "").lower()
    return BlobBinding(
        name,
        binding["path"],
        binding.get("connection") or "AzureWebJobsStorage",
        data_type if data_type not in ("", "undefined") else None,
        inner,
    )


def _index(app: Any) -> IndexedApp:
    indexed = IndexedApp()
    for function in app.get_functions():
        name = function.get_function_name()
        try:
            _add(indexed, function)
        except ValueError as exc:
            indexed.disabled[name] = str(exc)
            log.error("Function '%s' is disabled: %s", name, exc)
    return indexed


def _add(indexed: IndexedApp, function: Any) -> None:
    name = function.get_function_name()
    trigger = {key: _plain(value) for key, value in function.get_trigger().get_dict_repr().items()}
    kind = trigger["type"]
    if kind not in _HOST_TRIGGERS:
        raise ValueError(f"the dev host does not run {kind} functions")
    user_function = function.get_user_function()
    if kind == "orchestrationTrigger":
        indexed.orchestrators[name] = user_function
        return
    if kind == "entityTrigger":
        indexed.entities[name] = user_function
        return
    annotations = _annotations(getattr(user_function, "client_function", user_function))
    client_param: str | None = None
    inputs: list[BlobBinding] = []
    outputs: list[BlobBinding] = []
    for binding in function.get_bindings():
        data = {key: _plain(value) for key, value in binding.get_dict_repr().items()}
        param = data["name"]
        if param == trigger["name"] or (param == "$return" and data["type"] != "blob"):
            continue
        if data["type"] == "durableClient":
            client_param = param
        elif data["type"] == "blob":
            direction = str(data.get("direction", "IN")).upper()
            blob = _blob_binding(param, data, annotations.get(param), direction)
            (outputs if direction == "OUT" else inputs).append(blob)
        else:
            raise ValueError(f"the dev host does not support {data['type']} bindings ('{param}')")
    common: _Surroundings = {
        "client_param": client_param,
        "blob_inputs": inputs,
        "blob_outputs": outputs,
        "context_param": _wants_context(user_function, function),
        "directory": str(Path(inspect.getfile(user_function)).parent) if _has_file(user_function) else "",
    }
    if kind == "httpTrigger":
        methods = [_plain(method).upper() for method in trigger.get("methods") or []] or None
        indexed.http.append(
            HttpFunction(
                name,
                trigger["name"],
                user_function,
                **common,
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
                **common,
                path=trigger["path"],
                connection=trigger.get("connection") or "AzureWebJobsStorage",
                annotation=annotations.get(trigger["name"]),
            )
        )
    elif kind == "timerTrigger":
        indexed.timers.append(
            TimerFunction(
                name,
                trigger["name"],
                user_function,
                **common,
                schedule=trigger["schedule"],
                run_on_startup=bool(trigger.get("runOnStartup", False)),
                use_monitor=bool(trigger.get("useMonitor", True)),
            )
        )
    else:
        indexed.activities[name] = ActivityFunction(name, trigger["name"], user_function, **common)


def _has_file(function: Callable[..., Any]) -> bool:
    try:
        inspect.getfile(function)
    except TypeError:
        return False
    return True


def _wants_context(user_function: Callable[..., Any], function: Any) -> bool:
    """A `context` parameter no binding claims gets the invocation context, as in the worker."""
    bound = {binding.name for binding in function.get_bindings()}
    return "context" in inspect.signature(user_function).parameters and "context" not in bound
