"""One invocation as the Python worker performs it: arguments from the trigger and the bindings, then outputs.

The trigger value, the durable client JSON, each blob input, an `Out` per blob output and the
`context` go in as keyword arguments; after the call, the outputs that were set (and a `$return`
blob binding) are written. Blob I/O blocks, so the async entry point runs it in a thread.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from local.host.bindings import InvocationContext, OutValue, read_blob_input, write_blob_output

if TYPE_CHECKING:
    from local.host.indexing import AppFunction

__all__ = ["invoke_async", "invoke_sync"]

RETURN = "$return"


@dataclass
class _Call:
    kwargs: dict[str, Any]
    outputs: dict[str, OutValue]


def _prepare(
    function: AppFunction, trigger_value: Any, data: Mapping[str, Any], client_json: str | None
) -> _Call:
    kwargs: dict[str, Any] = {function.param: trigger_value}
    if function.client_param is not None:
        kwargs[function.client_param] = client_json
    for binding in function.blob_inputs:
        kwargs[binding.param] = read_blob_input(binding, data)
    outputs = {binding.param: OutValue() for binding in function.blob_outputs if binding.param != RETURN}
    kwargs.update(outputs)
    if function.context_param:
        kwargs["context"] = InvocationContext(function.name, function.directory)
    return _Call(kwargs, outputs)


def _finish(function: AppFunction, call: _Call, result: Any, data: Mapping[str, Any]) -> Any:
    """Write the outputs; the function's result, unless a blob binding took it."""
    for binding in function.blob_outputs:
        write_blob_output(
            binding, result if binding.param == RETURN else call.outputs[binding.param].get(), data
        )
    return None if any(binding.param == RETURN for binding in function.blob_outputs) else result


def invoke_sync(
    function: AppFunction, trigger_value: Any, data: Mapping[str, Any], client_json: str | None = None
) -> Any:
    """Invoke from a worker thread (activities): coroutines run to completion on their own loop."""
    call = _prepare(function, trigger_value, data, client_json)
    result = function.function(**call.kwargs)
    if inspect.iscoroutine(result):
        result = asyncio.run(result)
    return _finish(function, call, result, data)


async def invoke_async(
    function: AppFunction, trigger_value: Any, data: Mapping[str, Any], client_json: str | None = None
) -> Any:
    """Invoke from the host's event loop: async functions on it, sync functions and blob I/O in threads."""
    call = await asyncio.to_thread(_prepare, function, trigger_value, data, client_json)
    if inspect.iscoroutinefunction(function.function):
        result = await function.function(**call.kwargs)
    else:
        result = await asyncio.to_thread(function.function, **call.kwargs)
    return await asyncio.to_thread(_finish, function, call, result, data)
