"""SQLite persistence for orchestration instances, their history, queued messages and activity work.

Every engine step is one transaction: the history it appends, the instance row, the messages
it sends (timers, sub-orchestration starts, results for a parent) and the activity work it
schedules commit together, before any side effect runs. A process killed at any moment
restarts from the last commit: queued messages are processed again and work rows that never
recorded a result are dispatched again (activities are at-least-once, as on Azure).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from local.host.durable.history import Event

TERMINAL_STATUSES = ("Completed", "Failed", "Terminated")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS instances (
    instance_id TEXT PRIMARY KEY, name TEXT NOT NULL, execution_id TEXT NOT NULL,
    status TEXT NOT NULL, input TEXT, output TEXT, custom_status TEXT,
    created_time TEXT NOT NULL, last_updated_time TEXT NOT NULL,
    parent_instance_id TEXT, parent_execution_id TEXT, parent_task_id INTEGER,
    scheduler TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS history (
    instance_id TEXT NOT NULL, position INTEGER NOT NULL, event TEXT NOT NULL,
    PRIMARY KEY (instance_id, position));
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT, instance_id TEXT NOT NULL, execution_id TEXT,
    kind TEXT NOT NULL, payload TEXT NOT NULL, visible_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS messages_due ON messages (visible_at, id);
CREATE TABLE IF NOT EXISTS work (
    id INTEGER PRIMARY KEY AUTOINCREMENT, instance_id TEXT NOT NULL, execution_id TEXT NOT NULL,
    task_id INTEGER NOT NULL, name TEXT NOT NULL, input TEXT, attempt INTEGER NOT NULL);
"""


@dataclass
class RetryState:
    """A `*_with_retry` call in flight: what to run again and how many attempts were made."""

    kind: str  # "activity" or "orchestration"
    name: str
    input: str | None
    interval_ms: int
    max_attempts: int
    attempt: int = 1
    child_instance_id: str | None = None


@dataclass
class Scheduler:
    """Per-execution bookkeeping that maps the orchestrator's actions to history event ids."""

    next_id: int = 0
    actions_seen: int = 0
    action_ids: list[int | None] = field(default_factory=list)
    retries: dict[str, RetryState] = field(default_factory=dict)
    retry_timers: dict[str, RetryState] = field(default_factory=dict)

    def allocate(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Scheduler:
        data = json.loads(text)
        for key in ("retries", "retry_timers"):
            data[key] = {task: RetryState(**state) for task, state in data[key].items()}
        return cls(**data)


@dataclass
class Instance:
    instance_id: str
    name: str
    execution_id: str
    status: str
    input: str | None
    output: str | None
    custom_status: str | None
    created_time: str
    last_updated_time: str
    parent_instance_id: str | None = None
    parent_execution_id: str | None = None
    parent_task_id: int | None = None
    scheduler: Scheduler = field(default_factory=Scheduler)

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES


@dataclass
class Message:
    """Something for an instance to react to: start, an event, a result, a timer, terminate."""

    id: int
    instance_id: str
    execution_id: str | None
    kind: str
    payload: dict[str, Any]
    visible_at: str


@dataclass
class WorkItem:
    """An activity attempt scheduled by an orchestration and not yet completed."""

    id: int
    instance_id: str
    execution_id: str
    task_id: int
    name: str
    input: str | None
    attempt: int


class Store:
    """One SQLite database shared by the engine's threads; a lock serialises access."""

    def __init__(self, path: Path | str = ":memory:") -> None:
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._lock = threading.RLock()
        if str(path) != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _rows(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def _run(self, sql: str, args: tuple = ()) -> int:
        with self._lock:
            return self._db.execute(sql, args).rowcount

    # instances

    def instance(self, instance_id: str) -> Instance | None:
        rows = self._rows("SELECT * FROM instances WHERE instance_id = ?", (instance_id,))
        return _instance(rows[0]) if rows else None

    def save_instance(self, item: Instance) -> None:
        self._run(
            "INSERT OR REPLACE INTO instances VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                item.instance_id,
                item.name,
                item.execution_id,
                item.status,
                item.input,
                item.output,
                item.custom_status,
                item.created_time,
                item.last_updated_time,
                item.parent_instance_id,
                item.parent_execution_id,
                item.parent_task_id,
                item.scheduler.to_json(),
            ),
        )

    def query(
        self,
        statuses: list[str] | None,
        created_from: str | None,
        created_to: str | None,
        offset: int,
        limit: int,
    ) -> list[Instance]:
        sql, args = "SELECT * FROM instances WHERE 1=1", []
        if statuses:
            sql += f" AND status IN ({','.join('?' * len(statuses))})"
            args += statuses
        if created_from:
            sql += " AND created_time >= ?"
            args.append(created_from)
        if created_to:
            sql += " AND created_time <= ?"
            args.append(created_to)
        sql += " ORDER BY created_time DESC, instance_id LIMIT ? OFFSET ?"
        return [_instance(row) for row in self._rows(sql, (*args, limit, offset))]

    def delete_instance(self, instance_id: str) -> bool:
        """Purge: the instance and everything queued for it."""
        with self.transaction():
            self.drop_pending(instance_id)
            self.clear_history(instance_id)
            return self._run("DELETE FROM instances WHERE instance_id = ?", (instance_id,)) > 0

    # history

    def history(self, instance_id: str) -> list[Event]:
        rows = self._rows("SELECT event FROM history WHERE instance_id = ? ORDER BY position", (instance_id,))
        return [json.loads(row[0]) for row in rows]

    def append_history(self, instance_id: str, events: list[Event]) -> None:
        start = self._rows("SELECT COUNT(*) FROM history WHERE instance_id = ?", (instance_id,))[0][0]
        with self._lock:
            self._db.executemany(
                "INSERT INTO history VALUES (?,?,?)",
                [(instance_id, start + index, json.dumps(item)) for index, item in enumerate(events)],
            )

    def clear_history(self, instance_id: str) -> None:
        self._run("DELETE FROM history WHERE instance_id = ?", (instance_id,))

    # messages

    def send(
        self, instance_id: str, execution_id: str | None, kind: str, payload: dict[str, Any], visible_at: str
    ) -> None:
        self._run(
            "INSERT INTO messages (instance_id, execution_id, kind, payload, visible_at) VALUES (?,?,?,?,?)",
            (instance_id, execution_id, kind, json.dumps(payload), visible_at),
        )

    def next_message(self, now: str) -> Message | None:
        rows = self._rows(
            "SELECT * FROM messages WHERE visible_at <= ? ORDER BY visible_at, id LIMIT 1", (now,)
        )
        if not rows:
            return None
        ident, instance_id, execution_id, kind, payload, visible_at = rows[0]
        return Message(ident, instance_id, execution_id, kind, json.loads(payload), visible_at)

    def next_visible_at(self) -> str | None:
        return self._rows("SELECT MIN(visible_at) FROM messages")[0][0]

    def delete_message(self, message_id: int) -> None:
        self._run("DELETE FROM messages WHERE id = ?", (message_id,))

    def drop_pending(self, instance_id: str) -> None:
        """Forget queued messages and unfinished work of an instance that ended or was purged."""
        self._run("DELETE FROM messages WHERE instance_id = ?", (instance_id,))
        self._run("DELETE FROM work WHERE instance_id = ?", (instance_id,))

    def cancel_timers(self, instance_id: str, timer_ids: list[int]) -> None:
        """Drop the messages of timers the orchestrator cancelled (`timer.cancel()`)."""
        with self._lock:
            self._db.executemany(
                "DELETE FROM messages WHERE instance_id = ? AND kind = 'timer' "
                "AND json_extract(payload, '$.timer_id') = ?",
                [(instance_id, timer_id) for timer_id in timer_ids],
            )

    def drop_execution(self, instance_id: str, execution_id: str) -> None:
        """Forget the timers, results and work of an execution that continued as new."""
        self._run(
            "DELETE FROM messages WHERE instance_id = ? AND execution_id = ?", (instance_id, execution_id)
        )
        self._run("DELETE FROM work WHERE instance_id = ? AND execution_id = ?", (instance_id, execution_id))

    # activity work

    def add_work(
        self,
        instance_id: str,
        execution_id: str,
        task_id: int,
        name: str,
        input_json: str | None,
        attempt: int,
    ) -> WorkItem:
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO work (instance_id, execution_id, task_id, name, input, attempt) "
                "VALUES (?,?,?,?,?,?)",
                (instance_id, execution_id, task_id, name, input_json, attempt),
            )
            return WorkItem(cursor.lastrowid, instance_id, execution_id, task_id, name, input_json, attempt)

    def take_work(self, work_id: int) -> bool:
        """Remove a work row; False when it was already completed (a duplicate dispatch)."""
        return self._run("DELETE FROM work WHERE id = ?", (work_id,)) > 0

    def all_work(self) -> list[WorkItem]:
        return [WorkItem(*row) for row in self._rows("SELECT * FROM work ORDER BY id")]


def _instance(row: tuple) -> Instance:
    *fields, scheduler = row
    return Instance(*fields, scheduler=Scheduler.from_json(scheduler))
