"""Start the dev host (`python -m local.host`) as a real process (for the local stack and the tests)."""

from __future__ import annotations

from pathlib import Path

from local.processes import Service, free_port, start_python_module

__all__ = ["start_devhost"]


def start_devhost(
    work_dir: Path,
    app_dir: Path,
    *,
    env: dict[str, str],
    port: int | None = None,
    function_key: str = "test-function-key",
    poll_seconds: float = 0.5,
) -> Service:
    """The host serves `app_dir`'s function_app with its state in `work_dir/devhost-state`.

    Starting it again with the same work_dir resumes what the previous process left
    (in-flight orchestrations, blob receipts). `service.extra` holds the key and state dir.
    """
    port = port or free_port()
    state_dir = work_dir / "devhost-state"
    service = start_python_module(
        "devhost",
        "local.host",
        [
            "--port",
            str(port),
            "--app-dir",
            str(app_dir),
            "--state-dir",
            str(state_dir),
            "--blob-poll-seconds",
            str(poll_seconds),
        ],
        port,
        work_dir,
        env={**env, "DEVHOST_FUNCTION_KEY": function_key},
    )
    service.extra.update(function_key=function_key, state_dir=state_dir)
    return service
