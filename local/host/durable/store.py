"""SQLite persistence for orchestration instances, entities, history, queued messages and activity work.

Every engine step is one transaction: the history it appends, the instance row, the messages
it sends (timers, sub-orchestration starts, results for a parent, entity operations) and the
activity work it schedules commit together, before any side effect runs. A process killed at
any moment restarts from the last commit: queued messages are processed again and work rows
that never recorded a result are dispatched again (activities are at-least-once, as on Azure).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from local.host.durable.history import Event

__all__ = [
    "TERMINAL_STATUSES",
    "EntityRow",
    "Instance",
    "InstanceQuery",
    "Message",
    "RetryState",
    "Scheduler",
    "Store",
    "WorkItem",
]

TERMINAL_STATUSES = ("Completed", "Failed", "Terminated")
SUSPENDED = "Suspended"
_WHILE_SUSPENDED = ("suspend", "resume", "terminate")
"""The only messages a suspended instance processes; the others wait until it is resumed."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS instances (
    instance_id TEXT PRIMARY KEY, name TEXT NOT NULL, execution_id TEXT NOT NULL,
    status TEXT NOT NULL, input TEXT, output TEXT, custom_status TEXT,
    created_time TEXT NOT NULL, last_updated_time TEXT NOT NULL,
    parent_instance_id TEXT, parent_execution_id TEXT, parent_task_id INTEGER,
    scheduler TEXT NOT NULL, version TEXT);
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
CREATE TABLE IF NOT EXISTS entities (
    entity_id TEXT PRIMARY KEY, name TEXT NOT NULL, key TEXT NOT NULL, state TEXT,
    last_operation_time TEXT NOT NULL);
"""

_DUE = (
    "SELECT m.* FROM messages m LEFT JOIN instances i ON i.instance_id = m.instance_id "
    f"WHERE NOT (IFNULL(i.status, '') = '{SUSPENDED}' AND m.kind NOT IN {_WHILE_SUSPENDED})"
)


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
    """Per-execution bookkeeping that maps the orchestrator's actions to history event ids.

    `spent` records the calls whose failure the orchestration saw (task id -> None) and, for the
    last attempt of an exhausted retry policy, its policy and the id of the final retry timer:
    what a rewind runs again. Failed attempts that were retried are not in it.
    """

    next_id: int = 0
    actions_seen: int = 0
    action_ids: list[int | None] = field(default_factory=list)
    retries: dict[str, RetryState] = field(default_factory=dict)
    retry_timers: dict[str, RetryState] = field(default_factory=dict)
    spent: dict[str, tuple[RetryState, int] | None] = field(default_factory=dict)

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
        data["spent"] = {
            task: None if spent is None else (RetryState(**spent[0]), spent[1])
            for task, spent in data.get("spent", {}).items()
        }
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
    version: str | None = None

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES


_INSTANCE_COLUMNS = [item.name for item in fields(Instance)]


@dataclass(frozen=True)
class InstanceQuery:
    """The filters of the Durable HTTP API's instance queries; times in the store's text format."""

    statuses: tuple[str, ...] = ()
    created_from: str | None = None
    created_to: str | None = None
    prefix: str | None = None


@dataclass
class Message:
    """Something for an instance to react to: start, an event, a result, a timer, terminate..."""

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


@dataclass
class EntityRow:
    """A durable entity: its id (`@name@key`), its serialized state and when it last ran an operation."""

    entity_id: str
    name: str
    key: str
    state: str | None
    last_operation_time: str


class Store:
    """One SQLite database shared by the engine's threads; a lock serialises access."""

    def __init__(self, path: Path | str = ":memory:") -> None:
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._lock = threading.RLock()
        if str(path) != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(instances)")}
        if "version" not in columns:  # state written before versioning existed
            self._db.execute("ALTER TABLE instances ADD COLUMN version TEXT")

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

    def _rows(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def _run(self, sql: str, args: tuple[Any, ...] = ()) -> int:
        with self._lock:
            return self._db.execute(sql, args).rowcount

    # instances

    def instance(self, instance_id: str) -> Instance | None:
        rows = self._rows(
            f"SELECT {', '.join(_INSTANCE_COLUMNS)} FROM instances WHERE instance_id = ?", (instance_id,)
        )
        return _instance(rows[0]) if rows else None

    def save_instance(self, item: Instance) -> None:
        values = {name: getattr(item, name) for name in _INSTANCE_COLUMNS}
        values["scheduler"] = item.scheduler.to_json()
        self._run(
            f"INSERT OR REPLACE INTO instances ({', '.join(values)}) VALUES ({','.join('?' * len(values))})",
            tuple(values.values()),
        )

    def query(self, query: InstanceQuery, offset: int, limit: int) -> list[Instance]:
        """Instances newest first; created times compare as instants (the stored text is fixed-width UTC)."""
        sql = f"SELECT {', '.join(_INSTANCE_COLUMNS)} FROM instances WHERE 1=1"
        args: list[Any] = []
        if query.statuses:
            sql += f" AND status IN ({','.join('?' * len(query.statuses))})"
            args += query.statuses
        if query.created_from:
            sql += " AND created_time >= ?"
            args.append(query.created_from)
        if query.created_to:
            sql += " AND created_time <= ?"
            args.append(query.created_to)
        if query.prefix:
            sql += " AND substr(instance_id, 1, ?) = ?"
            args += [len(query.prefix), query.prefix]
        sql += " ORDER BY created_time DESC, instance_id LIMIT ? OFFSET ?"
        return [_instance(row) for row in self._rows(sql, (*args, limit, offset))]

    def delete_instance(self, instance_id: str) -> bool:
        """Purge: the instance and everything queued for it."""
        with self.transaction():
            self.drop_pending(instance_id)
            self.clear_history(instance_id)
            return self._run("DELETE FROM instances WHERE instance_id = ?", (instance_id,)) > 0

    # entities

    def entity(self, entity_id: str) -> EntityRow | None:
        rows = self._rows("SELECT * FROM entities WHERE entity_id = ?", (entity_id,))
        return EntityRow(*rows[0]) if rows else None

    def save_entity(self, row: EntityRow) -> None:
        self._run("INSERT OR REPLACE INTO entities VALUES (?,?,?,?,?)", tuple(asdict(row).values()))

    def delete_entity(self, entity_id: str) -> None:
        self._run("DELETE FROM entities WHERE entity_id = ?", (entity_id,))

    def entities(self, name: str | None, offset: int, limit: int) -> list[EntityRow]:
        sql = "SELECT * FROM entities"
        args: list[Any] = []
        if name:
            sql += " WHERE name = ?"
            args.append(name.lower())
        sql += " ORDER BY entity_id LIMIT ? OFFSET ?"
        return [EntityRow(*row) for row in self._rows(sql, (*args, limit, offset))]

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

    def replace_history(self, instance_id: str, events: list[Event]) -> None:
        """Rewrite an instance's history (a rewind turns failure events into generic ones)."""
        self.clear_history(instance_id)
        self.append_history(instance_id, events)

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
        """The oldest due message, except those a suspended instance holds back."""
        rows = self._rows(f"{_DUE} AND m.visible_at <= ? ORDER BY m.visible_at, m.id LIMIT 1", (now,))
        if not rows:
            return None
        ident, instance_id, execution_id, kind, payload, visible_at = rows[0]
        return Message(ident, instance_id, execution_id, kind, json.loads(payload), visible_at)

    def next_visible_at(self) -> str | None:
        return self._rows(f"SELECT MIN(visible_at) FROM ({_DUE})")[0][0]

    def postpone(self, message_id: int, visible_at: str) -> None:
        """Hand a message back for later (a version this host must not run yet)."""
        self._run("UPDATE messages SET visible_at = ? WHERE id = ?", (visible_at, message_id))

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
        *,
        input_json: str | None,
        attempt: int,
    ) -> WorkItem:
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO work (instance_id, execution_id, task_id, name, input, attempt) "
                "VALUES (?,?,?,?,?,?)",
                (instance_id, execution_id, task_id, name, input_json, attempt),
            )
            assert cursor.lastrowid is not None  # an INSERT always sets it
            return WorkItem(cursor.lastrowid, instance_id, execution_id, task_id, name, input_json, attempt)

    def take_work(self, work_id: int) -> bool:
        """Remove a work row; False when it was already completed (a duplicate dispatch)."""
        return self._run("DELETE FROM work WHERE id = ?", (work_id,)) > 0

    def all_work(self) -> list[WorkItem]:
        return [WorkItem(*row) for row in self._rows("SELECT * FROM work ORDER BY id")]


def _instance(row: tuple[Any, ...]) -> Instance:
    values = dict(zip(_INSTANCE_COLUMNS, row, strict=True))
    values["scheduler"] = Scheduler.from_json(values["scheduler"])
    return Instance(**values)
