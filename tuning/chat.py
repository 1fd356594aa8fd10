"""Chat completions against a deployment: the smoke test.

Right after provisioning reports Succeeded, Azure refuses chat for a while (a 404, or a 400 whose
code no spec defines). Our request is well-formed by construction, so a 404 or 400 here means
"not serving yet" (`ok` False, with the service's code kept for the report), not an error: the
orchestrator asks again after a durable timer, a bounded number of times. No error code is
compared: only HTTP statuses, which the specs define.
"""

from __future__ import annotations

import time

import openai
from openai import OpenAI

from tuning.errors import service_error_code
from tuning.payloads import SmokeResult

__all__ = ["NOT_SERVING_YET", "smoke_test"]

# The answers of a deployment that does not serve yet (and of nothing else, for our own requests).
NOT_SERVING_YET = (openai.NotFoundError, openai.BadRequestError)
SMOKE_TEST_MAX_TOKENS = 200


def smoke_test(client: OpenAI, deployment: str, messages: list[dict[str, str]]) -> SmokeResult:
    """One chat completion, timed."""
    started = time.perf_counter()
    try:
        completion = client.chat.completions.create(
            model=deployment,
            messages=messages,  # type: ignore[arg-type]
            max_completion_tokens=SMOKE_TEST_MAX_TOKENS,
        )
    except NOT_SERVING_YET as error:
        return SmokeResult(ok=False, code=service_error_code(error) or f"http {error.status_code}")
    latency_ms = round((time.perf_counter() - started) * 1000, 1)
    usage = None
    if completion.usage:
        usage = completion.usage.model_dump(include={"prompt_tokens", "completion_tokens", "total_tokens"})
    return SmokeResult(
        ok=True, answer=completion.choices[0].message.content, latency_ms=latency_ms, usage=usage
    )
