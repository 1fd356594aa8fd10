"""Chat completions against a deployment: the smoke test (and, with the quality gate, evaluation).

Right after provisioning reports Succeeded, Azure answers 404 or DeploymentNotReady for a while;
that is "not serving yet" (`ok` False), not an error, so the orchestrator asks again after a
durable timer instead of failing the run.
"""

from __future__ import annotations

import time

import openai
from openai import OpenAI

from tuning.errors import service_error_code
from tuning.payloads import SmokeResult

__all__ = ["NOT_SERVING_CODES", "smoke_test"]

# Azure's answers for a deployment that exists but does not serve yet.
NOT_SERVING_CODES = frozenset({"DeploymentNotFound", "DeploymentNotReady"})
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
    except (openai.NotFoundError, openai.BadRequestError) as error:
        code = service_error_code(error)
        if isinstance(error, openai.NotFoundError) or code in NOT_SERVING_CODES:
            return SmokeResult(ok=False, code=code or f"http_{error.status_code}")
        raise
    latency_ms = round((time.perf_counter() - started) * 1000, 1)
    usage = None
    if completion.usage:
        usage = completion.usage.model_dump(include={"prompt_tokens", "completion_tokens", "total_tokens"})
    return SmokeResult(
        ok=True, answer=completion.choices[0].message.content, latency_ms=latency_ms, usage=usage
    )
