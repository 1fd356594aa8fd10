"""The contract checker itself: it refuses what the specs refuse, and passes what they allow."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.contract.openapi import contract
from tests.contract.recording import Exchange

JSON = {"content-type": "application/json"}
V1_JOB = {
    "id": "ftjob-1",
    "object": "fine_tuning.job",
    "created_at": 1,
    "model": "gpt-4o-2024-08-06",
    "training_file": "file-1",
    "validation_file": None,
    "status": "queued",
    "hyperparameters": {"n_epochs": 1, "batch_size": 1, "learning_rate_multiplier": 1.0},
    "seed": 1,
    "result_files": [],
    "trained_tokens": None,
    "fine_tuned_model": None,
    "finished_at": None,
    "error": None,
    "organization_id": "org",
}
AZURE_JOB = {k: v for k, v in V1_JOB.items() if v is not None} | {"status": "pending"}
AZURE_FILE = {
    "id": "f",
    "object": "file",
    "bytes": 1,
    "created_at": 1,
    "filename": "a",
    "purpose": "fine-tune",
}


def problems(method: str, path: str, status: int, body: Any, headers: dict[str, str] = JSON) -> list[str]:
    exchange = Exchange(method, f"http://emulator{path}", status, headers, json.dumps(body).encode())
    return contract().violations(exchange)[1]


@pytest.mark.parametrize(
    ("method", "path", "status", "body", "headers"),
    [
        (
            "GET",
            "/openai/v1/fine_tuning/jobs/j",
            200,
            V1_JOB | {"status": "pending"},
            JSON,
        ),  # Azure's word on v1
        (
            "GET",
            "/openai/fine_tuning/jobs/j",
            200,
            AZURE_JOB | {"status": "queued"},
            JSON,
        ),  # OpenAI's word on Azure
        (
            "GET",
            "/openai/fine_tuning/jobs/j",
            200,
            AZURE_JOB | {"fine_tuned_model": None},
            JSON,
        ),  # not nullable
        (
            "GET",
            "/openai/v1/fine_tuning/jobs/j",
            200,
            {k: v for k, v in V1_JOB.items() if v is not None},
            JSON,
        ),
        ("GET", "/openai/fine_tuning/jobs/j", 404, {"error": {"code": "NotFound", "message": "m"}}, JSON),
        (
            "GET",
            "/openai/v1/fine_tuning/jobs/j",
            404,
            {"error": {"code": None, "message": "m", "type": "t"}},
            JSON,
        ),
        ("POST", "/openai/v1/files", 201, AZURE_FILE | {"status": "uploaded"}, JSON),  # the spec says 200
        ("POST", "/openai/files", 201, AZURE_FILE | {"status": "pending"}, JSON),  # no Location header
        ("GET", "/openai/files/f", 200, AZURE_FILE | {"status": "queued"}, JSON),  # not a FileState
        (
            "GET",
            "/openai/v1/files/f",
            200,
            AZURE_FILE | {"status": "uploaded"},
            {"content-type": "text/plain"},
        ),
    ],
)
def test_violations_are_found(
    method: str, path: str, status: int, body: Any, headers: dict[str, str]
) -> None:
    assert problems(method, path, status, body, headers)


@pytest.mark.parametrize(
    ("method", "path", "status", "body"),
    [
        ("GET", "/openai/v1/fine_tuning/jobs/j", 200, V1_JOB),
        ("GET", "/openai/v1/fine_tuning/jobs/j", 200, V1_JOB | {"status": "paused"}),  # v1-paused-status
        ("GET", "/openai/fine_tuning/jobs/j", 200, AZURE_JOB),
        ("GET", "/openai/fine_tuning/jobs/j", 404, {"error": {"code": "notFound", "message": "m"}}),
        (
            "GET",
            "/openai/v1/files",
            200,
            {"object": "list", "data": [], "first_id": None, "last_id": None, "has_more": False},
        ),
    ],
)
def test_conforming_answers_pass(method: str, path: str, status: int, body: Any) -> None:
    assert problems(method, path, status, body) == []


def test_an_exchange_outside_every_spec_is_a_violation() -> None:
    outside = problems("GET", "/openai/v1/nothing/here", 200, {})
    assert outside == ["GET /openai/v1/nothing/here: no operation in any vendored spec"]
