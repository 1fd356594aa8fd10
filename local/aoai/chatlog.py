"""Every answered chat completion, so a test can prove what was asked of which model.

One entry per answered request: the deployment, its model, the SHA-256 of the request's
messages and the time. The hash is of `json.dumps(messages, sort_keys=True,
separators=(",", ":"), ensure_ascii=False)` encoded as UTF-8, so a test computes the same
value from the messages it sent. With a state directory the log is appended to
`chat-log.jsonl` there (one line per request, cheap to write), and read back on start.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = ["ChatEntry", "ChatLog", "messages_sha256"]

LOG_FILE = "chat-log.jsonl"


def messages_sha256(messages: list[Any]) -> str:
    canonical = json.dumps(messages, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class ChatEntry:
    deployment: str
    model: str
    messages_sha256: str
    at: float


class ChatLog:
    def __init__(self, directory: Path | None = None) -> None:
        self._path = directory / LOG_FILE if directory is not None else None
        self._entries: list[ChatEntry] = []
        if self._path is not None and self._path.exists():
            with self._path.open() as handle:
                self._entries = [ChatEntry(**json.loads(line)) for line in handle if line.strip()]

    def record(self, entry: ChatEntry) -> None:
        self._entries.append(entry)
        if self._path is not None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            with self._path.open("a") as handle:
                handle.write(json.dumps(asdict(entry)) + "\n")

    def clear(self) -> None:
        self._entries.clear()
        if self._path is not None:
            self._path.unlink(missing_ok=True)

    def to_json(self) -> dict[str, Any]:
        """`requests` in order, and `counts` of each (deployment, model, messages) triple."""
        counts = Counter((e.deployment, e.model, e.messages_sha256) for e in self._entries)
        return {
            "requests": [asdict(e) for e in self._entries],
            "counts": [
                {"deployment": d, "model": m, "messages_sha256": h, "count": n}
                for (d, m, h), n in counts.items()
            ],
        }
