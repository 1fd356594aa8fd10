"""Every HTTP exchange a contract test makes, captured on the wire of the real clients.

The openai SDK and raw HTTP go through an httpx2 transport that reads each answer once and keeps
it (the client still reads it afterwards); azure-mgmt clients call a `raw_response_hook` on every
response, LRO polls included.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx2
from azure.core.pipeline import PipelineResponse

__all__ = ["Exchange", "Recorder"]


@dataclass(frozen=True)
class Exchange:
    method: str
    url: str
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def media_type(self) -> str:
        content_type = next((v for k, v in self.headers.items() if k.lower() == "content-type"), "")
        return content_type.split(";")[0].strip().lower()

    def documents(self) -> list[Any]:
        """The JSON documents the body holds: one, or one per server-sent event (before `[DONE]`)."""
        text = self.body.decode()
        if self.media_type != "text/event-stream":
            return [json.loads(text)]
        data = [line.removeprefix("data: ") for line in text.split("\n") if line.startswith("data: ")]
        if not data or data[-1] != "[DONE]":
            raise ValueError("the event stream does not end with data: [DONE]")
        return [json.loads(event) for event in data[:-1]]


class _RecordingTransport(httpx2.HTTPTransport):
    def __init__(self, recorder: Recorder) -> None:
        super().__init__()
        self._recorder = recorder

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        response = super().handle_request(request)
        body = response.read()
        self._recorder.exchanges.append(
            Exchange(request.method, str(request.url), response.status_code, dict(response.headers), body)
        )
        return response


@dataclass
class Recorder:
    exchanges: list[Exchange] = field(default_factory=list)

    def http_client(self, **options: Any) -> httpx2.Client:
        return httpx2.Client(transport=_RecordingTransport(self), timeout=20, **options)

    def arm_hook(self) -> Callable[[PipelineResponse[Any, Any]], None]:
        def hook(pipeline_response: PipelineResponse[Any, Any]) -> None:
            response = pipeline_response.http_response
            body = response.body() if hasattr(response, "body") else response.read()
            self.exchanges.append(
                Exchange(
                    response.request.method,
                    response.request.url,
                    response.status_code,
                    dict(response.headers),
                    bytes(body or b""),
                )
            )

        return hook
