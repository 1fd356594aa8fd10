"""A small fault-injecting HTTP proxy for tests: it sits between a client and a local server and,
for the requests a rule matches, loses the answer after the server acted, resets the connection
before it did, or delays it.

    with FaultProxy(emulator.url) as proxy:
        proxy.add(Fault("POST", r"/fine_tuning/jobs$", "drop_response"))
        client = OpenAI(base_url=f"{proxy.url}/openai/v1/", ...)

"Lost after the server acted" is the case that makes a naive retry create a second resource: the
server has created the job, and the client sees only a dropped connection.
"""

from __future__ import annotations

import asyncio
import re
import threading
from dataclasses import dataclass, field
from typing import Literal

from aiohttp import ClientSession, web

__all__ = ["Fault", "FaultProxy"]

HOP_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection", "keep-alive"})


@dataclass
class Fault:
    """What to do to requests whose method and path (no query) match, `times` times."""

    method: str
    path: str
    action: Literal["drop_response", "reset", "delay"]
    times: int = 1
    seconds: float = 0.0
    hits: int = field(default=0, init=False)

    def matches(self, method: str, path: str) -> bool:
        return self.hits < self.times and method == self.method and re.search(self.path, path) is not None


class FaultProxy:
    """Runs on its own thread and event loop; `url` is where clients send their requests."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.faults: list[Fault] = []
        self.forwarded: list[tuple[str, str, int]] = []  # method, path, upstream status
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._runner: web.AppRunner | None = None
        self.url = ""

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the fault proxy did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def add(self, fault: Fault) -> Fault:
        self.faults.append(fault)
        return fault

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application(client_max_size=1024**3)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        self._ready.set()
        self._loop.run_forever()

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        fault = next((f for f in self.faults if f.matches(request.method, request.path)), None)
        if fault is not None:
            fault.hits += 1
        if fault is not None and fault.action == "reset":
            return self._hang_up(request)
        if fault is not None and fault.action == "delay":
            await asyncio.sleep(fault.seconds)
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_HEADERS}
        async with (
            ClientSession() as session,
            session.request(
                request.method,
                f"{self.upstream}{request.path_qs}",
                headers=headers,
                data=body,
                allow_redirects=False,
            ) as answer,
        ):
            payload = await answer.read()
            self.forwarded.append((request.method, request.path, answer.status))
            if fault is not None and fault.action == "drop_response":
                return self._hang_up(request)  # the upstream acted; the client never hears of it
            reply_headers = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_HEADERS}
            return web.Response(status=answer.status, body=payload, headers=reply_headers)

    @staticmethod
    def _hang_up(request: web.Request) -> web.StreamResponse:
        transport = request.transport
        if transport is not None:
            transport.abort()
        return web.Response(status=599)  # never delivered: the connection is gone
