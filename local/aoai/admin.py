"""`/_emulator/` routes: inspect and steer a running emulator from tests and scripts.

They need the API key like every other route, and faults never apply to them, so a test
can always read the state or switch faults off.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from local.aoai.context import emulator
from local.aoai.errors import invalid
from local.aoai.faults import Faults
from local.aoai.protocol import json_body
from local.aoai.routes import Operation
from local.aoai.state import advance_clock, now

__all__ = ["OPERATIONS", "ROUTES"]

OPERATIONS: web.AppKey[list[Operation]] = web.AppKey("operations", list)


async def state(request: web.Request) -> web.Response:
    emu = emulator(request)
    return web.json_response({**emu.store.dump(), "faults": emu.faults.to_json()})


async def reset(request: web.Request) -> web.Response:
    """Forget every record and answered chat, and switch every fault off."""
    emu = emulator(request)
    emu.store.clear()
    emu.chats.clear()
    emu.faults = Faults(seed=emu.faults.seed)
    advance_clock(0)
    emu.changed()
    return web.json_response({"reset": True})


async def get_faults(request: web.Request) -> web.Response:
    return web.json_response(emulator(request).faults.to_json())


def _number(body: dict[str, Any], name: str, default: float) -> float:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise invalid(f"'{name}' must be a non-negative number.", param=name)
    return float(value)


async def set_faults(request: web.Request) -> web.Response:
    """Merge {"groups": {"chat"|...|"all": {"rate_429": p, ...}}, "retry_after_ms": n, ...}."""
    emu = emulator(request)
    try:
        emu.faults.update(await json_body(request))
    except (ValueError, TypeError, AttributeError) as error:
        raise invalid(f"Invalid fault settings: {error}") from None
    return web.json_response(emu.faults.to_json())


async def fail_next_job(request: web.Request) -> web.Response:
    """The next `count` created jobs fail halfway through running with this error."""
    emu = emulator(request)
    body = await json_body(request)
    count = int(_number(body, "count", 1))
    emu.faults.fail_next_job(
        str(body.get("code", "internal_error")),
        str(body.get("message", "The fine-tuning job failed (injected by the emulator).")),
        count,
    )
    return web.json_response(emu.faults.to_json())


async def deployment_not_ready(request: web.Request) -> web.Response:
    """Answer DeploymentNotReady `seconds` after Succeeded: for the deployments of one name, or later ones."""
    emu = emulator(request)
    body = await json_body(request)
    seconds = _number(body, "seconds", 0.0)
    name = body.get("deployment")
    if name is None:
        emu.faults.deployment_not_ready_seconds = seconds
        return web.json_response(emu.faults.to_json())
    named = [d for d in emu.store.deployments.values() if d.name.lower() == str(name).lower()]
    if not named:
        raise invalid(f"There is no deployment named {name!r}.", param="deployment")
    for deployment in named:
        deployment.not_ready_until = max(deployment.ready_at, now()) + seconds
    newest = max(named, key=lambda d: d.created_at)
    return web.json_response(newest.summary() | {"not_ready_until": newest.not_ready_until})


async def clock(request: web.Request) -> web.Response:
    """`{"advance": seconds}` moves the emulator's time forward, to reach an expiry without waiting for it."""
    seconds = _number(await json_body(request), "advance", 0.0)
    if seconds <= 0:
        raise invalid("'advance' must be a positive number of seconds.", param="advance")
    return web.json_response({"offset": advance_clock(seconds), "now": now()})


async def chat_log(request: web.Request) -> web.Response:
    """Every answered chat: {"requests": [{deployment, model, messages_sha256, at}], "counts": [...]}."""
    return web.json_response(emulator(request).chats.to_json())


async def operations(request: web.Request) -> web.Response:
    """The spec operations the emulator serves (the route table), for the contract tests."""
    return web.json_response({"operations": [o.to_json() for o in request.app[OPERATIONS]]})


ROUTES = [
    web.get("/_emulator/state", state),
    web.post("/_emulator/reset", reset),
    web.get("/_emulator/faults", get_faults),
    web.post("/_emulator/faults", set_faults),
    web.post("/_emulator/jobs/fail-next", fail_next_job),
    web.post("/_emulator/deployments/not-ready", deployment_not_ready),
    web.post("/_emulator/clock", clock),
    web.get("/_emulator/chat-log", chat_log),
    web.get("/_emulator/operations", operations),
]
