"""Start local services (Azurite, the emulator, the dev host) as real processes on free ports.

Used by the demo and by the tests: each service gets a free port (a test never collides with
a developer's running services), is waited for until it accepts connections, and is stopped
with its whole process group (nothing outlives the demo or a test session).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["REPO", "Service", "free_port", "start_python_module", "start_service", "wait_for_port"]

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """Wait until something listens on the port; fail early when the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process {process.args!r} exited with {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listened on port {port} within {timeout}s: {process.args!r}")


@dataclass
class Service:
    """A process started for tests; `stop()` kills its whole process group."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def start_service(
    name: str,
    argv: list[str],
    port: int,
    log_dir: Path,
    *,
    env: dict[str, str] | None = None,
    cwd: Path = REPO,
    timeout: float = 60.0,
) -> Service:
    """Start `argv` with its output in `<log_dir>/<name>-<port>.log` and wait until it listens on `port`."""
    log_path = log_dir / f"{name}-{port}.log"
    with log_path.open("ab") as log_file:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            argv,
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    service = Service(name, port, process, log_path)
    try:
        wait_for_port(port, process, timeout)
    except Exception as exc:
        service.stop()
        raise RuntimeError(f"{name} did not start; its log:\n{service.log()}") from exc
    return service


def start_python_module(  # noqa: PLR0917 - local/aoai/launch.py passes env positionally
    name: str,
    module: str,
    args: list[str],
    port: int,
    log_dir: Path,
    env: dict[str, str] | None = None,
    *,
    timeout: float = 60.0,
) -> Service:
    """`python -m module args...` with this interpreter, as a service (see `start_service`)."""
    return start_service(name, [sys.executable, "-m", module, *args], port, log_dir, env=env, timeout=timeout)
