"""The whole service on one machine: Azurite, the Azure OpenAI emulator and the dev host.

`LocalStack` is what `make demo` and the end-to-end tests both run, so the demo is exactly
what the tests prove. With AZURE_OPENAI_ENDPOINT set in the environment, the emulator is not
started and the dev host talks to that real resource (Entra ID through azure-identity, or
AZURE_OPENAI_API_KEY) with the rest of the AZURE_* settings taken from the environment.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from azure.mgmt.cognitiveservices.models import Deployment, DeploymentModel, DeploymentProperties, Sku
from azure.storage.blob import BlobServiceClient, ContainerClient

from local.aoai.launch import start_emulator
from local.azurite import start_azurite
from local.host.launch import start_devhost
from local.processes import REPO, Service, free_port
from tuning.credentials import StaticTokenCredential

__all__ = ["LocalStack", "StackOptions"]

CONTAINER = "fine-tuning"
SUBSCRIPTION, RESOURCE_GROUP, ACCOUNT = "00000000-0000-0000-0000-000000000000", "local", "emulator"
BASELINE_DEPLOYMENT, BASELINE_MODEL, BASELINE_VERSION = "gpt-4o", "gpt-4o", "2024-08-06"


@dataclass
class StackOptions:
    job_seconds: float = 20.0
    deploy_seconds: float = 3.0
    api_key: str = "local-emulator-key"
    function_key: str = "local-function-key"
    settle_seconds: float = 2.0
    poll_min_seconds: float = 1.0
    poll_max_seconds: float = 4.0
    reconcile_schedule: str = "*/20 * * * * *"  # NCRONTAB with seconds: every 20 s on one machine
    emulator_args: tuple[str, ...] = ()
    app_settings: dict[str, str] = field(default_factory=dict)


class LocalStack:
    def __init__(self, work_dir: Path, options: StackOptions | None = None) -> None:
        self.work_dir = work_dir
        self.options = options or StackOptions()
        self._services: dict[str, Service] = {}
        self.host_env: dict[str, str] = {}
        self.host_port = free_port()

    @property
    def uses_emulator(self) -> bool:
        return not os.environ.get("AZURE_OPENAI_ENDPOINT")

    @property
    def azurite(self) -> Service:
        return self._service("azurite")

    @property
    def emulator(self) -> Service:
        return self._service("emulator")

    @property
    def host(self) -> Service:
        return self._service("host")

    def _service(self, name: str) -> Service:
        if name not in self._services:
            raise RuntimeError(f"the local stack's {name} is not running")
        return self._services[name]

    def start(self) -> LocalStack:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self._services["azurite"] = start_azurite(self.work_dir)
        if self.uses_emulator:
            self.start_emulator()
            self.deploy_baseline()
        self.host_env = self._host_env()
        self.start_host()
        return self

    def deploy_baseline(self) -> None:
        """The base model the quality gate compares against, deployed through ARM as an operator
        would (the pipeline never creates it: it is not the service's to manage)."""
        arm = CognitiveServicesManagementClient(
            StaticTokenCredential(self.options.api_key), SUBSCRIPTION, base_url=self.emulator.url
        )
        baseline = Deployment(
            sku=Sku(name="GlobalStandard", capacity=1),
            properties=DeploymentProperties(
                model=DeploymentModel(format="OpenAI", name=BASELINE_MODEL, version=BASELINE_VERSION)
            ),
        )
        arm.deployments.begin_create_or_update(
            RESOURCE_GROUP, ACCOUNT, BASELINE_DEPLOYMENT, baseline, enforce_https=False
        ).result()

    def start_emulator(self) -> Service:
        o = self.options
        self._services["emulator"] = start_emulator(
            self.work_dir,
            api_key=o.api_key,
            job_seconds=o.job_seconds,
            deploy_seconds=o.deploy_seconds,
            extra_args=["--state-dir", str(self.work_dir / "emulator"), *o.emulator_args],
        )
        return self.emulator

    def start_host(self) -> Service:
        """Start (or restart: same port, same state) the dev host on the repository's app."""
        self._services["host"] = start_devhost(
            self.work_dir,
            REPO,
            env=self.host_env,
            port=self.host_port,
            function_key=self.options.function_key,
        )
        return self.host

    def _host_env(self) -> dict[str, str]:
        o = self.options
        storage = self.azurite.extra["connection_string"]
        env = {
            "AzureWebJobsStorage": storage,
            "FT_STORAGE": storage,
            "FT_CONTAINER": CONTAINER,
            "FT_TASK_HUB": "devhost",
            "FT_SETTLE_SECONDS": str(o.settle_seconds),
            "FT_POLL_MIN_SECONDS": str(o.poll_min_seconds),
            "FT_POLL_MAX_SECONDS": str(o.poll_max_seconds),
            "FT_PUBLIC_BASE_URL": f"http://127.0.0.1:{self.host_port}",
            "FT_RECONCILE_SCHEDULE": o.reconcile_schedule,
        }
        if self.uses_emulator:
            url = self.emulator.url
            env.update(
                {
                    "AZURE_OPENAI_ENDPOINT": url,
                    "AZURE_OPENAI_API_KEY": o.api_key,
                    "FT_EMULATOR_TOKEN": o.api_key,
                    "AZURE_RESOURCE_MANAGER_ENDPOINT": url,
                    "AZURE_SUBSCRIPTION_ID": SUBSCRIPTION,
                    "AZURE_RESOURCE_GROUP": RESOURCE_GROUP,
                    "AZURE_OPENAI_ACCOUNT": ACCOUNT,
                    "FT_EVAL_BASELINE_DEPLOYMENT": BASELINE_DEPLOYMENT,
                }
            )
        return {**env, **o.app_settings}

    def stop(self) -> None:
        for name in ("host", "emulator", "azurite"):
            if name in self._services:
                self._services[name].stop()

    # -- talking to the running stack -------------------------------------------------------

    @cached_property
    def container(self) -> ContainerClient:
        """The dataset container in Azurite, created on first use."""
        service = BlobServiceClient.from_connection_string(self.azurite.extra["connection_string"])
        container = service.get_container_client(CONTAINER)
        if not container.exists():
            container.create_container()
        return container

    def upload_run(self, run: str, files: dict[str, bytes]) -> None:
        """Drop files into `incoming/<run>/`, as a user does (the blob trigger starts the run)."""
        for name, data in files.items():
            self.put_blob(f"incoming/{run}/{name}", data)

    def put_blob(self, path: str, data: bytes) -> None:
        self.container.upload_blob(path, data, overwrite=True)

    def api(
        self,
        method: str,
        route: str,
        body: Any = None,
        key: str | None = "default",
        content_type: str = "application/json",
    ) -> tuple[int, Any]:
        """Call the dev host's HTTP API; `key=None` sends no function key; bytes are sent as they are."""
        headers = {"Content-Type": content_type}
        if key is not None:
            headers["x-functions-key"] = self.options.function_key if key == "default" else key
        data = body if isinstance(body, bytes) else json.dumps(body).encode() if body is not None else None
        url = route if route.startswith("http") else f"{self.host.url}/api/{route}"
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                return error.code, json.loads(raw) if raw else None
            except json.JSONDecodeError:
                return error.code, raw.decode(errors="replace")

    def wait_for_run(
        self,
        run: str,
        timeout: float = 300.0,
        on_update=None,
        until=lambda run: run.get("runtime_status") in ("Completed", "Failed", "Terminated"),
    ) -> dict:
        deadline = time.monotonic() + timeout
        last: dict = {}
        while time.monotonic() < deadline:
            status, body = self.api("GET", f"runs/{run}")
            if status == 200:
                last = body
                if on_update:
                    on_update(body)
                if until(body):
                    return body
            time.sleep(0.5)
        raise TimeoutError(f"run {run} did not finish within {timeout:.0f}s; last status: {last}")

    def read_blob(self, path: str) -> bytes:
        return self.container.download_blob(path).readall()
