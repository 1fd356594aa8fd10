"""Every place the emulator departs from a vendored spec on purpose, with the reason.

Each deviation is applied where the contract tests read the specs: a schema patch (one JSON
pointer, one change) or a media-type rule for one operation. Nothing else is tolerated, and
local/aoai/README.md lists each id (a test checks that it does).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["DEVIATIONS", "Deviation"]


def _also(*values: str) -> Callable[[Any], Any]:
    return lambda enum: [*enum, *values]


def _or_null(schema: Any) -> Any:
    return {"anyOf": [schema, {"type": "null"}]}


@dataclass(frozen=True)
class Deviation:
    id: str
    reason: str
    document: str | None = None
    patch: tuple[str, Callable[[Any], Any]] | None = None
    operation_id: str | None = None
    media_type: str | None = None
    validate_as: str | None = None
    binary: bool = False

    def allows(self, operation_id: str, media_type: str) -> bool:
        return self.operation_id == operation_id and self.media_type == media_type


DEVIATIONS = (
    Deviation(
        "v1-paused-status",
        "OpenAI's FineTuningJob.status enum has no pause state, but its pause operation exists and its own "
        'example answers `"status": "paused"`; /openai/v1/ shows a pausing or paused job as `paused`.',
        document="openai",
        patch=("/components/schemas/FineTuningJob/properties/status/enum", _also("paused")),
    ),
    Deviation(
        "v1-empty-page-first-id",
        "ListFilesResponse requires `first_id` and `last_id` as strings; an empty page has no id to name, "
        "so they are null there, as on every other OpenAI list.",
        document="openai",
        patch=("/components/schemas/ListFilesResponse/properties/first_id", _or_null),
    ),
    Deviation(
        "v1-empty-page-last-id",
        "The same for `last_id`.",
        document="openai",
        patch=("/components/schemas/ListFilesResponse/properties/last_id", _or_null),
    ),
    Deviation(
        "v1-evals-file-purpose",
        "createFile accepts the purpose `evals` but OpenAIFile.purpose does not list it; a file uploaded "
        "with it reports the purpose it was given.",
        document="openai",
        patch=("/components/schemas/OpenAIFile/properties/purpose/enum", _also("evals")),
    ),
    Deviation(
        "azure-stream-media-type",
        "The inference spec declares only application/json for a chat completion, with the chunk schema in "
        "its oneOf, and prescribes server-sent events for `stream: true`; a stream is text/event-stream and "
        "each event is checked against the declared schema.",
        operation_id="ChatCompletions_Create",
        media_type="text/event-stream",
        validate_as="application/json",
    ),
    Deviation(
        "v1-file-content-media-type",
        "downloadFile declares an application/json string; the content is the file's own bytes, sent as "
        "application/octet-stream (as the authoring spec's Files_GetContent declares).",
        operation_id="downloadFile",
        media_type="application/octet-stream",
        binary=True,
    ),
)
