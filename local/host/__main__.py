"""`python -m local.host`: run the Functions app in this folder (or --app-dir) on one machine."""

from __future__ import annotations

import argparse
import asyncio
import logging
from pathlib import Path

from local.host.indexing import AppLoadError
from local.host.runtime import DevHost, HostOptions
from local.host.settings import BodyLimitError, HostJsonError


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m local.host", description=__doc__)
    parser.add_argument("--port", type=int, default=7071)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--app-dir", type=Path, default=Path("."), help="folder with function_app.py")
    parser.add_argument(
        "--state-dir", type=Path, help="durable state and key file (default <app-dir>/.devhost)"
    )
    parser.add_argument("--blob-poll-seconds", type=float, default=1.0, help="blob trigger polling interval")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("azure").setLevel(logging.WARNING)
    options = HostOptions(
        app_dir=args.app_dir,
        state_dir=args.state_dir or args.app_dir / ".devhost",
        host=args.host,
        port=args.port,
        poll_interval=args.blob_poll_seconds,
    )
    try:
        host = DevHost(options)
    except (AppLoadError, HostJsonError, BodyLimitError) as exc:
        parser.exit(1, f"{parser.prog}: cannot load the function app: {exc}\n")
    asyncio.run(host.serve())


if __name__ == "__main__":
    main()
