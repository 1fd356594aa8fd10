"""The OpenAPI 3.1 document of this API, built from the same models the routes validate with,
so the document cannot drift from the code (and the fuzz tests generate requests from it)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from triggers.api_models import (
    RUN_NAME_PATTERN,
    Accepted,
    Approval,
    CancelRun,
    JobControlRequest,
    ProblemDetails,
    RollbackRequest,
    RunList,
    RunView,
    StartRun,
    ValidateBlob,
)

__all__ = ["openapi_document"]

MODELS: tuple[type[BaseModel], ...] = (
    Accepted,
    Approval,
    CancelRun,
    JobControlRequest,
    ProblemDetails,
    RollbackRequest,
    RunList,
    RunView,
    StartRun,
    ValidateBlob,
)
RUN_PARAMETER = {
    "name": "run",
    "in": "path",
    "required": True,
    "description": "the run's name (the folder under incoming/)",
    "schema": {"type": "string", "pattern": RUN_NAME_PATTERN},
}


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _json(model: type[BaseModel] | dict[str, Any]) -> dict[str, Any]:
    schema = model if isinstance(model, dict) else _ref(model)
    return {"application/json": {"schema": schema}}


def _problems(*statuses: int) -> dict[str, Any]:
    answers = {401: "no or wrong function key"}
    return {
        str(status): {
            "description": answers.get(status, "a problem the caller can fix"),
            "content": {"application/problem+json": {"schema": _ref(ProblemDetails)}},
        }
        for status in (401, *statuses)
    }


def _body(model: type[BaseModel], required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": _json(model)}


def _accepted(description: str) -> dict[str, Any]:
    return {"description": description, "content": _json({"type": "object"})}


def _run_action(summary: str, body: type[BaseModel], required: bool, conflict: str) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary,
            "parameters": [RUN_PARAMETER],
            "requestBody": _body(body, required),
            "responses": {"202": _accepted("requested"), **_problems(400, 404, 409, 413)},
            "x-conflict": conflict,
        }
    }


def openapi_document(base_url: str | None) -> dict[str, Any]:
    _, schemas = models_json_schema(
        [(model, "validation") for model in MODELS], ref_template="#/components/schemas/{model}"
    )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Azure OpenAI fine-tuning pipeline",
            "version": "1",
            "description": "Start, watch and steer fine-tuning runs. Function-key auth on every route.",
        },
        "servers": [{"url": f"{base_url or ''}/api"}],
        "security": [{"functionKey": []}, {"functionKeyQuery": []}],
        "paths": {
            "/runs": {
                "post": {
                    "summary": "Start an attempt of a run from blobs in the container",
                    "requestBody": _body(StartRun),
                    "responses": {
                        "202": {"description": "started", "content": _json(Accepted)},
                        **_problems(400, 409, 413, 422),
                    },
                },
                "get": {
                    "summary": "Recent runs, newest first",
                    "parameters": [
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 200},
                        }
                    ],
                    "responses": {
                        "200": {"description": "runs", "content": _json(RunList)},
                        **_problems(400),
                    },
                },
            },
            "/runs/{run}": {
                "get": {
                    "summary": "One run: stage, job status, progress, errors, report links",
                    "parameters": [RUN_PARAMETER],
                    "responses": {
                        "200": {"description": "the run", "content": _json(RunView)},
                        **_problems(400, 404),
                    },
                }
            },
            "/runs/{run}/cancel": _run_action("Cancel the run", CancelRun, False, "the run has ended"),
            "/runs/{run}/approve": _run_action(
                "Approve or reject a waiting gate", Approval, True, "no gate waits"
            ),
            "/runs/{run}/pause": _run_action(
                "Pause the training job", JobControlRequest, False, "not training"
            ),
            "/runs/{run}/resume": _run_action(
                "Resume the training job", JobControlRequest, False, "not training"
            ),
            "/runs/{run}/rollback": _run_action(
                "Put back the model the run's promotion replaced",
                RollbackRequest,
                False,
                "nothing to roll back",
            ),
            "/validate": {
                "post": {
                    "summary": "Validate a blob, or a JSONL body of up to 16 MB, without starting anything",
                    "parameters": [
                        {"name": "model", "in": "query", "schema": {"type": "string", "maxLength": 100}}
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            **_json(ValidateBlob),
                            "application/jsonl": {"schema": {"type": "string"}},
                        },
                    },
                    "responses": {
                        "200": {"description": "the validation report", "content": _json({"type": "object"})},
                        **_problems(400, 404, 413, 415),
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "summary": "This document",
                    "responses": {
                        "200": {"description": "OpenAPI 3.1", "content": _json({"type": "object"})}
                    },
                }
            },
        },
        "components": {
            "schemas": schemas["$defs"],
            "securitySchemes": {
                "functionKey": {"type": "apiKey", "in": "header", "name": "x-functions-key"},
                "functionKeyQuery": {"type": "apiKey", "in": "query", "name": "code"},
            },
        },
    }
