"""Start the emulator as a real process on a free port (for the local stack and the tests)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from local.processes import Service, free_port, start_python_module

__all__ = ["start_emulator"]


def start_emulator(
    work_dir: Path,
    *,
    api_key: str = "test-key",
    job_seconds: float = 2.0,
    deploy_seconds: float = 1.0,
    extra_args: Sequence[str] = (),
    env: dict[str, str] | None = None,
) -> Service:
    """`python -m local.aoai` with these options; the key is in `service.extra["api_key"]`."""
    port = free_port()
    args = [
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--api-key",
        api_key,
        "--job-seconds",
        str(job_seconds),
        "--deploy-seconds",
        str(deploy_seconds),
        *extra_args,
    ]
    service = start_python_module("aoai-emulator", "local.aoai", args, port, work_dir, env)
    service.extra["api_key"] = api_key
    return service
