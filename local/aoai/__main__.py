"""`python -m local.aoai`: start the emulator. Every flag has an AOAI_EMULATOR_* fallback."""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aiohttp import web

from local.aoai.app import create_app
from local.aoai.context import (
    DEFAULT_API_KEY,
    DEFAULT_MAX_DEPLOYMENTS,
    DEFAULT_MAX_FINE_TUNED_DEPLOYMENTS,
    Settings,
)
from local.aoai.faults import GROUPS, KINDS, Faults

ENV_PREFIX = "AOAI_EMULATOR_"


def _env(name: str, default: str | None) -> str | None:
    return os.environ.get(ENV_PREFIX + name.upper().replace("-", "_"), default)


def parse_rates(spec: str) -> dict[str, float]:
    """'0.3' for every route group, or 'chat=0.3,arm=0.1' for some."""
    if "=" not in spec:
        return {group: float(spec) for group in GROUPS}
    rates = {}
    for item in spec.split(","):
        group, _, value = item.partition("=")
        rates[group.strip()] = float(value)
    return rates


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m local.aoai", description=__doc__)

    def option(name: str, default: str | None, help: str, **kwargs: Any) -> None:
        parser.add_argument(
            f"--{name}",
            default=_env(name, default),
            help=f"{help} (env {ENV_PREFIX}{name.upper().replace('-', '_')})",
            **kwargs,
        )

    option("host", "127.0.0.1", "interface to listen on")
    option("port", "8081", "port to listen on", type=int)
    option("api-key", DEFAULT_API_KEY, "the key clients must send (api-key header or bearer token)")
    option("job-seconds", "30", "how long a fine-tuning job takes from creation to succeeded", type=float)
    option("deploy-seconds", "5", "how long an ARM deployment stays Creating", type=float)
    option("state-dir", None, "directory for state.json; without it, state is in memory only", type=Path)
    for kind in KINDS:
        option(
            f"fault-{kind.removeprefix('rate_')}",
            None,
            f"probability of {kind.removeprefix('rate_')} per request: P for all groups or "
            f"group=P,... ({', '.join(GROUPS)})",
        )
    option("retry-after-ms", "100", "the retry delay sent with injected 429/503", type=int)
    option("fail-next-jobs", "0", "this many of the next created jobs fail", type=int)
    option(
        "deployment-not-ready-seconds", "0", "answer DeploymentNotReady this long after Succeeded", type=float
    )
    option("fault-seed", None, "seed for the fault dice, for reproducible runs", type=int)
    option(
        "max-deployments",
        str(DEFAULT_MAX_DEPLOYMENTS),
        "deployments one account may hold (Azure: 32 standard deployments per resource)",
        type=int,
    )
    option(
        "max-fine-tuned-deployments",
        str(DEFAULT_MAX_FINE_TUNED_DEPLOYMENTS),
        "fine-tuned model deployments one account may hold (Azure: 5)",
        type=int,
    )
    option(
        "data-plane-account",
        None,
        "the ARM account (/subscriptions/S/resourceGroups/G/providers/Microsoft.CognitiveServices"
        "/accounts/A) whose deployments the data plane serves; unset: the newest deployment of a name in "
        "any account",
    )
    option("log-level", "INFO", "logging level")
    return parser


def faults_from(args: argparse.Namespace) -> Faults:
    faults = Faults(
        retry_after_ms=args.retry_after_ms,
        deployment_not_ready_seconds=args.deployment_not_ready_seconds,
        seed=args.fault_seed,
    )
    for kind in KINDS:
        spec = getattr(args, f"fault_{kind.removeprefix('rate_')}")
        for group, rate in parse_rates(spec).items() if spec else ():
            faults.set_rate(kind, rate, (group,))
    if args.fail_next_jobs:
        faults.fail_next_job(
            "internal_error", "The fine-tuning job failed (injected by the emulator).", args.fail_next_jobs
        )
    return faults


def main(argv: Sequence[str] | None = None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        faults = faults_from(args)
    except ValueError as error:
        parser.error(str(error))
    settings = Settings(
        host=args.host,
        port=args.port,
        api_key=args.api_key,
        job_seconds=args.job_seconds,
        deploy_seconds=args.deploy_seconds,
        state_dir=args.state_dir,
        max_deployments=args.max_deployments,
        max_fine_tuned_deployments=args.max_fine_tuned_deployments,
        data_plane_account=args.data_plane_account,
    )
    logging.getLogger("local.aoai").info(
        "Azure OpenAI emulator on http://%s:%d (state: %s)",
        settings.host,
        settings.port,
        settings.state_dir or "memory",
    )
    web.run_app(
        create_app(settings, faults), host=settings.host, port=settings.port, access_log=None, print=None
    )


if __name__ == "__main__":
    main()
