"""Azurite's blob service from the pinned npm package in node_modules/."""

from __future__ import annotations

from pathlib import Path

from local.processes import REPO, Service, free_port, start_service

ACCOUNT = "devstoreaccount1"
# Azurite's published development key: not a secret, the same on every machine.
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


__all__ = ["connection_string", "start_azurite"]


def connection_string(port: int) -> str:
    return (
        f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};"
        f"BlobEndpoint=http://127.0.0.1:{port}/{ACCOUNT};"
    )


def start_azurite(work_dir: Path, port: int | None = None) -> Service:
    binary = REPO / "node_modules" / ".bin" / "azurite-blob"
    if not binary.exists():
        raise RuntimeError("Azurite is not installed: run `make setup` (npm ci) first")
    port = port or free_port()
    location = work_dir / f"azurite-{port}"
    location.mkdir(parents=True, exist_ok=True)
    service = start_service(
        "azurite",
        [
            str(binary),
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            str(port),
            "--location",
            str(location),
            "--skipApiVersionCheck",
            "--loose",
            "--silent",
        ],
        port,
        work_dir,
    )
    service.extra["connection_string"] = connection_string(port)
    return service
