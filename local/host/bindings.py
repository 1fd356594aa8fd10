"""Bindings besides the trigger, as the Functions host and the Python worker handle them.

- Binding expressions: `%setting%`, `{name}` from the trigger's binding data (route and blob path
  parameters, `{Query.x}`, JSON body properties), `{rand-guid}` and `{DateTime}`.
- Blob inputs: the host sends the blob as a string unless the binding's `dataType` is `binary`
  (or `stream`); the worker passes `str`/`bytes`-annotated parameters through as they came (its
  "generic" binding) and gives any other parameter a `func.InputStream` (`BlobConverter`). A
  missing blob is `None`.
- Blob outputs: a `func.Out[T]` parameter whose value, when set, is encoded like the worker does
  (`str` as UTF-8, `bytes` as is, a file-like object read) and written to the blob.
- A parameter named `context` that no binding claims receives a `func.Context`.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import azure.functions as func
from azure.core import MatchConditions
from azure.core.exceptions import ResourceNotFoundError
from azure.functions import meta
from azure.storage.blob import BlobServiceClient

from local.host.settings import resolve
from local.host.storage import BlobStream, service_client

__all__ = [
    "BindingError",
    "BlobBinding",
    "InvocationContext",
    "OutValue",
    "expand",
    "read_blob_input",
    "write_blob_output",
]

_EXPRESSION = re.compile(r"\{([^{}]+)\}")
_BINARY_TYPES = ("binary", "stream")
_BLOB_CONVERTER = meta.get_binding_registry().get("blob")


class BindingError(ValueError):
    """A binding that cannot be resolved or converted for this invocation."""


@dataclass(frozen=True)
class BlobBinding:
    """A `blob_input` or `blob_output` binding of a function, with its parameter's annotation.

    `annotation` is the parameter's type (for an output, the `T` of `func.Out[T]`); None when the
    parameter is not annotated.
    """

    param: str
    path: str
    connection: str
    data_type: str | None
    annotation: Any = None

    @property
    def generic(self) -> bool:
        """The worker's "generic" binding: a `str` or `bytes` annotation takes the value as sent."""
        return self.annotation in (str, bytes)


def _lookup(data: Mapping[str, Any], dotted: str) -> Any:
    """A binding-data value by (dotted, case-insensitive) name, as the host's binding data lookup does."""
    value: Any = data
    for part in dotted.split("."):
        if not isinstance(value, Mapping):
            raise KeyError(dotted)
        matches = [item for name, item in value.items() if name.lower() == part.lower()]
        if not matches:
            raise KeyError(dotted)
        value = matches[0]
    return value


def expand(template: str, data: Mapping[str, Any]) -> str:
    """A binding path with its %settings% and {expressions} replaced."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        if name.lower() == "rand-guid":
            return str(uuid.uuid4())
        if name.lower() == "datetime":
            return datetime.now(UTC).strftime("%Y-%m-%dT%H-%M-%SZ")
        try:
            return str(_lookup(data, name))
        except KeyError:
            raise BindingError(f"No value for named parameter '{name}' (in '{template}').") from None

    return _EXPRESSION.sub(value, resolve(template))


def _split(path: str) -> tuple[str, str]:
    container, _, blob = path.partition("/")
    if not container or not blob:
        raise BindingError(f"the blob path '{path}' must be 'container/blob'")
    return container, blob


def read_blob_input(binding: BlobBinding, data: Mapping[str, Any]) -> Any:
    """The value a blob input parameter receives, or None when the blob does not exist."""
    container, name = _split(expand(binding.path, data))
    service: BlobServiceClient = service_client(binding.connection)
    blob = service.get_blob_client(container, name)
    try:
        properties = blob.get_blob_properties()
    except ResourceNotFoundError:
        return None
    if not binding.generic:
        return BlobStream(blob, properties, container=container)
    content = blob.download_blob(
        etag=properties.etag, match_condition=MatchConditions.IfNotModified
    ).readall()
    if (binding.data_type or "").lower() in _BINARY_TYPES:
        return content
    return content.decode("utf-8", errors="replace")


def write_blob_output(binding: BlobBinding, value: Any, data: Mapping[str, Any]) -> None:
    """Encode an output value as the worker does and write it to the binding's blob."""
    if value is None:
        return
    if binding.generic and not isinstance(value, (str, bytes, bytearray)):
        raise BindingError(
            f"output '{binding.param}': a func.Out[{binding.annotation.__name__}] was set to "
            f"{type(value).__name__}"
        )
    try:
        datum = _BLOB_CONVERTER.encode(value, expected_type=binding.annotation)
    except NotImplementedError:
        raise BindingError(
            f"output '{binding.param}': cannot write a {type(value).__name__} to a blob "
            "(expected str, bytes or a file-like object)"
        ) from None
    content = datum.value.encode() if datum.type == "string" else datum.value
    container, name = _split(expand(binding.path, data))
    service_client(binding.connection).get_blob_client(container, name).upload_blob(content, overwrite=True)


class OutValue(func.Out[Any]):
    """The worker's `Out`: what an output binding parameter receives."""

    def __init__(self) -> None:
        self._value: Any = None

    def set(self, val: Any) -> None:
        self._value = val

    def get(self) -> Any:
        return self._value


class InvocationContext(func.Context):
    """The `context` parameter: invocation id, function name and directory."""

    def __init__(self, function_name: str, function_directory: str) -> None:
        self._invocation_id = str(uuid.uuid4())
        self._function_name = function_name
        self._function_directory = function_directory
        self._local = threading.local()

    @property
    def invocation_id(self) -> str:
        return self._invocation_id

    @property
    def thread_local_storage(self) -> Any:
        return self._local

    @property
    def function_name(self) -> str:
        return self._function_name

    @property
    def function_directory(self) -> str:
        return self._function_directory

    @property
    def trace_context(self) -> Any:
        return None

    @property
    def retry_context(self) -> Any:
        return None
