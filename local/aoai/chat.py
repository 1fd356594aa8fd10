"""Chat completions against a deployment: deterministic answers (answers.py) in each spec's shape.

A deployment answers once its ARM provisioning has Succeeded and its DeploymentNotReady
window (a fault) has passed. The request is checked (chat_requests.py), the answer honours
`response_format` (valid JSON for json_object / json_schema), `stop` and the token limit
(`max_completion_tokens`, else `max_tokens`: the content is cut, `finish_reason: "length"`),
and `stream=true` sends server-sent events the way the openai SDK reads them: chunks of
`chat.completion.chunk`, a last chunk with `usage` when `stream_options.include_usage`, then
`data: [DONE]`. The Azure route adds Azure's content-filter results.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from local.aoai import answers, training
from local.aoai.chat_requests import ChatRequest, parse_chat
from local.aoai.chatlog import ChatEntry, messages_sha256
from local.aoai.context import Emulator, emulator
from local.aoai.errors import ApiError, Kind, invalid
from local.aoai.protocol import json_body
from local.aoai.routes import Route
from local.aoai.state import DeploymentRecord, new_id, now
from local.aoai.structured import instance
from local.aoai.surfaces import Surface, surface_of
from local.aoai.tokens import count_messages, count_text, truncate

__all__ = ["API_VERSION_ROUTES", "V1_ROUTES", "ready_deployment"]

NOT_FOUND_MESSAGE = (
    "The API deployment for this resource does not exist. If you created the deployment within "
    "the last 5 minutes, please wait a moment and try again."
)
SAFE = {"filtered": False, "severity": "safe"}
CHOICE_FILTERS = {"hate": SAFE, "self_harm": SAFE, "sexual": SAFE, "violence": SAFE}
PROMPT_FILTERS = [
    {
        "prompt_index": 0,
        "content_filter_results": {**CHOICE_FILTERS, "jailbreak": {"filtered": False, "detected": False}},
    }
]
CHUNK_WORDS = 4


def ready_deployment(emu: Emulator, name: str) -> DeploymentRecord:
    """The deployment a data-plane request names: in the data-plane account when one is set,
    else the newest deployment of that name in any account."""
    account = (emu.settings.data_plane_account or "").lower()
    candidates = [
        d
        for d in emu.store.deployments.values()
        if d.name.lower() == name.lower() and (not account or d.scope.lower() == account)
    ]
    deployment = max(candidates, key=lambda d: d.created_at, default=None)
    if deployment is None or deployment.provisioning_state in ("Creating", "Deleting", "Failed"):
        raise ApiError(Kind.NOT_FOUND, NOT_FOUND_MESSAGE, code="DeploymentNotFound")
    if now() < deployment.not_ready_until:
        raise invalid(
            f"The deployment '{name}' is not ready yet. Please try again in a few moments.",
            code="DeploymentNotReady",
        )
    return deployment


def _model_id(deployment: DeploymentRecord) -> str:
    """The model a completion reports: `<name>-<version>` for a base model, the fine-tuned model's own id."""
    return (
        deployment.model
        if deployment.kind == "fine-tuned"
        else f"{deployment.model}-{deployment.model_version}"
    )


def _model(emu: Emulator, deployment: DeploymentRecord) -> answers.Model:
    job = emu.store.jobs.get(deployment.job_id or "")
    examples = emu.store.examples.get(deployment.job_id or "")
    if job is None or examples is None:
        return answers.Model(_model_id(deployment))
    pairs = tuple((prompt, reply) for prompt, reply in examples.pairs)
    progress = 1.0 if deployment.step is None else deployment.step / training.total_steps(job)
    return answers.Model(_model_id(deployment), pairs, progress)


def _content(model: answers.Model, request: ChatRequest) -> str:
    graded = answers.judge_inputs(request.messages) if request.json_mode else None
    fmt = request.response_format or {"type": "text"}
    if graded is not None:
        verdict = answers.judge(*graded)
        if fmt["type"] == "json_schema":
            shaped = instance(fmt["json_schema"].get("schema") or {}, verdict["reasoning"])
            verdict = {**shaped, **verdict} if isinstance(shaped, dict) else verdict
        return json.dumps(verdict)
    text = answers.reply(model, request.messages)
    if fmt["type"] == "json_object":
        return json.dumps({"answer": text})
    if fmt["type"] == "json_schema":
        return json.dumps(instance(fmt["json_schema"].get("schema") or {}, text))
    return text


def _finish(content: str, request: ChatRequest) -> tuple[str, str]:
    """The content after stop sequences and the token limit, and the finish reason."""
    for stop in request.stop:
        if stop and stop in content:
            content = content[: content.index(stop)]
    if request.max_tokens is not None:
        content, cut = truncate(content, request.max_tokens)
        if cut:
            return content, "length"
    return content, "stop"


def _usage(request: ChatRequest, content: str) -> dict[str, Any]:
    prompt, completion = count_messages(request.messages), count_text(content) * request.n
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "completion_tokens_details": {"reasoning_tokens": 0},
    }


def _completion(
    deployment: DeploymentRecord, request: ChatRequest, content: str, finish: str, surface: Surface
) -> dict[str, Any]:
    choice: dict[str, Any] = {
        "finish_reason": finish,
        "logprobs": None,
        "message": {"role": "assistant", "content": content, "refusal": None},
    }
    if surface.azure_style:
        choice["content_filter_results"] = CHOICE_FILTERS
    body: dict[str, Any] = {
        "id": new_id("chatcmpl-"),
        "object": "chat.completion",
        "created": int(now()),
        "model": _model_id(deployment),
        "system_fingerprint": "fp_emulator",
        "choices": [{"index": index, **choice} for index in range(request.n)],
        "usage": _usage(request, content),
    }
    if surface.azure_style:
        body["prompt_filter_results"] = PROMPT_FILTERS
    return body


def _chunks(
    deployment: DeploymentRecord, request: ChatRequest, content: str, finish: str, surface: Surface
) -> list[dict[str, Any]]:
    base = {
        "id": new_id("chatcmpl-"),
        "object": "chat.completion.chunk",
        "created": int(now()),
        "model": _model_id(deployment),
        "system_fingerprint": "fp_emulator",
    }
    if request.include_usage:
        base["usage"] = None
    words = content.split(" ")
    pieces = [" ".join(words[i : i + CHUNK_WORDS]) + " " for i in range(0, len(words), CHUNK_WORDS)]
    pieces[-1] = pieces[-1][:-1]
    chunks = []
    for index in range(request.n):
        deltas = [
            {"role": "assistant", "content": "", "refusal": None},
            *({"content": p} for p in pieces),
            {},
        ]
        for number, delta in enumerate(deltas):
            last = number == len(deltas) - 1
            choice = {
                "index": index,
                "delta": delta,
                "logprobs": None,
                "finish_reason": finish if last else None,
            }
            chunks.append({**base, "choices": [choice]})
    if surface.azure_style:
        chunks[0]["prompt_filter_results"] = PROMPT_FILTERS
    if request.include_usage:
        chunks.append({**base, "choices": [], "usage": _usage(request, content)})
    return chunks


async def _stream(request: web.Request, chunks: list[dict[str, Any]]) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
    response.headers.update(request.get("ids", {}))
    await response.prepare(request)
    for chunk in chunks:
        await response.write(f"data: {json.dumps(chunk)}\n\n".encode())
    await response.write(b"data: [DONE]\n\n")
    await response.write_eof()
    return response


async def _complete(request: web.Request, deployment_name: str, body: dict[str, Any]) -> web.StreamResponse:
    emu, surface = emulator(request), surface_of(request)
    deployment = ready_deployment(emu, deployment_name)
    chat = parse_chat(body, surface)
    content, finish = _finish(_content(_model(emu, deployment), chat), chat)
    emu.chats.record(ChatEntry(deployment.name, _model_id(deployment), messages_sha256(chat.messages), now()))
    request["ids"] = {
        **request.get("ids", {}),
        "x-ratelimit-remaining-requests": str(max(0, deployment.sku_capacity * 6 - 1)),
        "x-ratelimit-remaining-tokens": str(deployment.sku_capacity * 1000),
    }
    if chat.stream:
        return await _stream(request, _chunks(deployment, chat, content, finish, surface))
    return web.json_response(_completion(deployment, chat, content, finish, surface))


async def deployment_completions(request: web.Request) -> web.StreamResponse:
    """The api-version style: the deployment is in the path."""
    return await _complete(request, request.match_info["deployment"], await json_body(request))


async def v1_completions(request: web.Request) -> web.StreamResponse:
    """The /openai/v1 style: `model` in the body names the deployment."""
    body = await json_body(request)
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise invalid(
            "Missing required parameter: 'model'.", param="model", code="missing_required_parameter"
        )
    return await _complete(request, body["model"], body)


API_VERSION_ROUTES = [
    Route(
        "POST",
        "/deployments/{deployment}/chat/completions",
        deployment_completions,
        azure="ChatCompletions_Create",
    )
]
V1_ROUTES = [Route("POST", "/chat/completions", v1_completions, v1="createChatCompletion")]
