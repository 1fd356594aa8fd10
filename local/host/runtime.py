"""The dev host process: the app's functions, the durable engine, HTTP and blob polling wired together."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import signal
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from local.host.blobs import BlobTrigger
from local.host.durable.activities import execute
from local.host.durable.api import DurableApi
from local.host.durable.engine import Engine, SystemClock
from local.host.durable.store import Store, WorkItem
from local.host.durable.versions import VersionPolicy
from local.host.http import HttpFunctions
from local.host.indexing import index, load_app
from local.host.keys import function_key
from local.host.settings import HostSettings, load_local_settings, request_body_limit
from local.host.timers import TimerTrigger

__all__ = ["DevHost", "HostOptions"]

log = logging.getLogger("devhost")

_IDLE_WAIT_SECONDS = 1.0
_SHUTDOWN_SECONDS = 5.0
"""How long a stopping host lets in-flight HTTP requests finish."""
_LINGERING_SECONDS = 1.0


@dataclass(frozen=True)
class HostOptions:
    app_dir: Path
    state_dir: Path
    host: str = "127.0.0.1"
    port: int = 7071
    poll_interval: float = 1.0


def _missing_activity(name: str) -> Callable[[str | None], str]:
    def run(input_json: str | None) -> str:
        raise LookupError(f"no activity function named '{name}' in the app")

    return run


class DevHost:
    def __init__(self, options: HostOptions) -> None:
        self.options = options
        load_local_settings(options.app_dir)
        settings = HostSettings.load(options.app_dir)
        self.indexed = index(load_app(options.app_dir))
        key = function_key(options.state_dir)
        options.state_dir.mkdir(parents=True, exist_ok=True)
        self.pool = ThreadPoolExecutor(settings.max_concurrent_activities, thread_name_prefix="activity")
        self.engine = Engine(
            Store(options.state_dir / "durable.sqlite"),
            self.indexed.orchestrators,
            SystemClock(),
            self.dispatch,
            entities=self.indexed.entities,
            versions=VersionPolicy.from_settings(settings),
        )
        public_host = "127.0.0.1" if options.host in ("0.0.0.0", "::") else options.host
        self.api = DurableApi(self.engine, key, settings.hub_name, f"http://{public_host}:{options.port}")
        self.http = HttpFunctions(self.indexed.http, key, self.api.client_json, request_body_limit())
        # Receipts are per host id; derive a stable one from the app folder unless configured.
        digest = hashlib.sha256(str(options.app_dir.resolve()).encode()).hexdigest()[:12]
        configured = os.environ.get("AzureFunctionsWebHost__hostid")  # noqa: SIM112 - the host's own spelling
        self.host_id = configured or f"devhost-{digest}"
        self.stopping = threading.Event()

    def dispatch(self, work: WorkItem) -> None:
        """Run an activity attempt on the pool (at most maxConcurrentActivityFunctions at once)."""
        activity = self.indexed.activities.get(work.name)
        self.pool.submit(
            execute, self.engine, work, activity.run if activity else _missing_activity(work.name)
        )

    def _orchestration_worker(self) -> None:
        """Process due messages one at a time; sleep until the next timer or a new message."""
        while not self.stopping.is_set():
            self.engine.wakeup.clear()
            try:
                while self.engine.run_once():
                    pass
            except Exception:
                log.exception("The orchestration worker failed on a message; retrying shortly")
            due = self.engine.next_due()
            wait = _IDLE_WAIT_SECONDS if due is None else (due - datetime.now(UTC)).total_seconds()
            self.engine.wakeup.wait(min(max(wait, 0.01), _IDLE_WAIT_SECONDS))

    def _pollers(self) -> list[Coroutine[Any, Any, None]]:
        """One loop per blob and timer function; one with a bad path, schedule or connection is
        reported and skipped."""
        loops = []
        for function in self.indexed.blobs:
            try:
                loops.append(
                    BlobTrigger(function, self.host_id, self.api.client_json).run(self.options.poll_interval)
                )
            except (KeyError, ValueError) as exc:
                log.error("Blob trigger '%s' is disabled: %s", function.name, exc)
        for timer in self.indexed.timers:
            try:
                loops.append(TimerTrigger(timer, self.host_id, self.api.client_json).run())
            except (KeyError, ValueError) as exc:
                log.error("Timer trigger '%s' is disabled: %s", timer.name, exc)
        return loops

    async def serve(self) -> None:
        app = web.Application()
        app.add_routes([*self.http.routes(), *self.api.routes()])
        # lingering: how long a connection whose body was refused (413) is drained before it closes
        runner = web.AppRunner(
            app, access_log=None, shutdown_timeout=_SHUTDOWN_SECONDS, lingering_time=_LINGERING_SECONDS
        )
        await runner.setup()
        await web.TCPSite(runner, self.options.host, self.options.port).start()
        log.info(
            "Dev host on http://%s:%d (task hub %s, state in %s)",
            self.options.host,
            self.options.port,
            self.api.hub,
            self.options.state_dir,
        )
        for function in self.indexed.http:
            log.info(
                "  %s: [%s] /api/%s (%s)",
                function.name,
                ",".join(function.methods or ["*"]),
                function.route,
                function.auth_level,
            )
        for work in self.engine.pending_work():
            log.info(
                "Resuming activity '%s' (%s, task %d) interrupted by the last stop",
                work.name,
                work.instance_id,
                work.task_id,
            )
            self.dispatch(work)
        worker = threading.Thread(target=self._orchestration_worker, name="orchestrations", daemon=True)
        worker.start()
        pollers = [asyncio.create_task(loop) for loop in self._pollers()]
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        log.info("Stopping")
        for poller in pollers:
            poller.cancel()
        self.stopping.set()
        self.engine.wakeup.set()
        await runner.cleanup()
        self.pool.shutdown(wait=False, cancel_futures=True)
