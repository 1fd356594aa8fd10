"""Chat completions against a deployment: deterministic answers with real-looking usage.

The reply quotes the last user message, so a smoke test can check that its question got
through; usage counts come from tokens.py. A deployment answers only once its ARM
provisioning has Succeeded and its DeploymentNotReady window (a fault) has passed.
"""

from __future__ import annotations

import hashlib
from typing import Any

from aiohttp import web

from local.aoai.context import Emulator, emulator
from local.aoai.errors import ApiError, invalid
from local.aoai.protocol import json_body
from local.aoai.state import DeploymentRecord, now
from local.aoai.tokens import content_text, count_messages, count_text

NOT_FOUND_MESSAGE = (
    "The API deployment for this resource does not exist. If you created the deployment within "
    "the last 5 minutes, please wait a moment and try again."
)


def ready_deployment(emu: Emulator, name: str) -> DeploymentRecord:
    deployment = emu.store.deployments.get(name)
    if deployment is None or deployment.provisioning_state != "Succeeded":
        raise ApiError(404, "DeploymentNotFound", NOT_FOUND_MESSAGE)
    if now() < deployment.not_ready_until:
        raise ApiError(
            400,
            "DeploymentNotReady",
            f"The deployment '{name}' is not ready yet. Please try again in a few moments.",
            type="invalid_request_error",
        )
    return deployment


def reply(deployment: DeploymentRecord, messages: list[dict[str, Any]]) -> str:
    question = next(
        (content_text(m.get("content")) for m in reversed(messages) if m.get("role") == "user"), ""
    )
    return (
        f'[{deployment.model}] You asked: "{question.strip()}". This is the emulator\'s deterministic answer.'
    )


def _check_messages(messages: Any) -> list[dict[str, Any]]:
    if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) for m in messages):
        raise invalid(
            "'messages' must be a non-empty array of message objects.", param="messages", code="BadRequest"
        )
    return messages


async def _complete(request: web.Request, deployment_name: str, body: dict[str, Any]) -> web.Response:
    emu = emulator(request)
    deployment = ready_deployment(emu, deployment_name)
    messages = _check_messages(body.get("messages"))
    if body.get("stream"):
        raise invalid("Streaming is not supported by the emulator.", param="stream", code="BadRequest")
    content = reply(deployment, messages)
    prompt_tokens, completion_tokens = count_messages(messages), count_text(content)
    created = int(now())
    digest = hashlib.sha256(f"{deployment_name}:{created}:{content}".encode()).hexdigest()[:29]
    return web.json_response(
        {
            "id": f"chatcmpl-{digest}",
            "object": "chat.completion",
            "created": created,
            "model": deployment.model,
            "system_fingerprint": "fp_emulator",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "logprobs": None,
                    "message": {"role": "assistant", "content": content, "refusal": None},
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
            "prompt_filter_results": [],
        }
    )


async def deployment_completions(request: web.Request) -> web.Response:
    """The api-version style: the deployment is in the path."""
    return await _complete(request, request.match_info["deployment"], await json_body(request))


async def v1_completions(request: web.Request) -> web.Response:
    """The /openai/v1 style: `model` in the body names the deployment."""
    body = await json_body(request)
    if not isinstance(body.get("model"), str):
        raise invalid("'model' (the deployment name) is required.", param="model", code="BadRequest")
    return await _complete(request, body["model"], body)


API_VERSION_ROUTES = [web.post("/deployments/{deployment}/chat/completions", deployment_completions)]
V1_ROUTES = [web.post("/chat/completions", v1_completions)]
