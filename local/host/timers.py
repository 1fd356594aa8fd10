"""Timer triggers: NCRONTAB or TimeSpan schedules, run on the host's clock (UTC), with the schedule monitor.

A schedule is six NCRONTAB fields, `{second} {minute} {hour} {day} {month} {day-of-week}` (lists,
ranges, steps, month and day names; day and day-of-week must both match, as in NCrontab), or a
TimeSpan `hh:mm:ss` interval. With `useMonitor` (the default) the host keeps the schedule status
(`Last`, `Next`, `LastUpdated`) in the storage account, as the real host does under
`azure-webjobs-hosts/timers/<hostId>/<function>/status`: an occurrence missed while the host was
down fires once at start with `past_due` set.
"""

from __future__ import annotations

import asyncio
import calendar
import contextlib
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.functions.timer import TimerRequest

from local.host.indexing import TimerFunction
from local.host.invoke import invoke_async
from local.host.settings import resolve
from local.host.storage import service_client

__all__ = ["Schedule", "ScheduleError", "TimerTrigger"]

log = logging.getLogger("devhost.timer")

_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_abbr) if name}
_DAYS = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("second", 0, 59, {}),
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
    ("day-of-week", 0, 6, _DAYS),
)
_TIMESPAN = re.compile(r"(?:(?P<days>\d+)\.)?(?P<hours>\d{1,2}):(?P<minutes>\d{2})(?::(?P<seconds>\d{2}))?")
_MONITOR_CONTAINER = "azure-webjobs-hosts"


class ScheduleError(ValueError):
    """A schedule that is neither six NCRONTAB fields nor a TimeSpan."""


def _field(text: str, name: str, low: int, high: int, names: dict[str, int]) -> frozenset[int]:
    """The values one NCRONTAB field allows: `*`, `5`, `1-5`, `1,3`, `*/15`, `10-40/10`, names."""

    def number(token: str) -> int:
        value = names.get(token.lower()[:3]) if names and not token.isdigit() else None
        if value is None and not token.isdigit():
            raise ScheduleError(f"{name} field '{text}': '{token}' is not a number")
        value = int(token) if value is None else value
        if not low <= value <= high:
            raise ScheduleError(f"{name} field '{text}': {value} is outside {low}-{high}")
        return value

    allowed: set[int] = set()
    for part in text.split(","):
        spread, slash, step_text = part.partition("/")
        if slash and not (step_text.isdigit() and int(step_text) > 0):
            raise ScheduleError(f"{name} field '{text}': the step '{step_text}' must be a positive number")
        if spread == "*":
            first, last = low, high
        elif "-" in spread:
            start, _, end = spread.partition("-")
            first, last = number(start), number(end)
        else:
            first = number(spread)
            last = high if slash else first
        allowed.update(range(first, last + 1, int(step_text) if slash else 1))
    return frozenset(allowed)


@dataclass(frozen=True)
class Schedule:
    """When a timer fires: NCRONTAB fields, or a fixed interval."""

    text: str
    fields: tuple[frozenset[int], ...] = ()
    interval: timedelta | None = None

    @classmethod
    def parse(cls, text: str) -> Schedule:
        timespan = _TIMESPAN.fullmatch(text.strip())
        if timespan:
            parts = {key: int(value or 0) for key, value in timespan.groupdict().items()}
            interval = timedelta(**parts)
            if interval <= timedelta(0):
                raise ScheduleError(f"schedule '{text}': the interval must be positive")
            return cls(text, interval=interval)
        tokens = text.split()
        if len(tokens) != 6:
            raise ScheduleError(
                f"schedule '{text}': expected 6 NCRONTAB fields "
                "({second} {minute} {hour} {day} {month} {day-of-week}) or a TimeSpan hh:mm:ss"
            )
        fields = tuple(
            _field(token, name, low, high, names)
            for token, (name, low, high, names) in zip(tokens, _FIELDS, strict=True)
        )
        return cls(text, fields)

    def next_after(self, moment: datetime) -> datetime:
        """The first occurrence strictly after `moment` (whole seconds, UTC)."""
        if self.interval is not None:
            return moment + self.interval
        seconds, minutes, hours, days, months, weekdays = self.fields
        candidate = moment.replace(microsecond=0) + timedelta(seconds=1)
        limit = candidate + timedelta(days=366 * 5)
        while candidate < limit:
            if candidate.month not in months:
                candidate = (
                    candidate.replace(day=1, hour=0, minute=0, second=0) + timedelta(days=32)
                ).replace(day=1)
            elif candidate.day not in days or (candidate.weekday() + 1) % 7 not in weekdays:
                candidate = candidate.replace(hour=0, minute=0, second=0) + timedelta(days=1)
            elif candidate.hour not in hours:
                candidate = candidate.replace(minute=0, second=0) + timedelta(hours=1)
            elif candidate.minute not in minutes:
                candidate = candidate.replace(second=0) + timedelta(minutes=1)
            elif candidate.second not in seconds:
                candidate += timedelta(seconds=1)
            else:
                return candidate
        raise ScheduleError(f"schedule '{self.text}' never fires")


class TimerTrigger:
    def __init__(
        self,
        function: TimerFunction,
        host_id: str,
        client_json: Callable[[], str],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.function = function
        self.schedule = Schedule.parse(resolve(function.schedule))
        self.client_json = client_json
        self.clock = clock
        self.status_blob = f"timers/{host_id}/Host.Functions.{function.name}/status"

    def _monitor(self) -> Any:
        return service_client("AzureWebJobsStorage").get_blob_client(_MONITOR_CONTAINER, self.status_blob)

    def _read_status(self) -> dict[str, Any] | None:
        if not self.function.use_monitor:
            return None
        try:
            return dict(json.loads(self._monitor().download_blob().readall()))
        except (ResourceNotFoundError, KeyError, ValueError):
            return None

    def _write_status(self, last: datetime, upcoming: datetime) -> None:
        if not self.function.use_monitor:
            return
        status = {"Last": last.isoformat(), "Next": upcoming.isoformat(), "LastUpdated": last.isoformat()}
        container = service_client("AzureWebJobsStorage").get_container_client(_MONITOR_CONTAINER)
        with contextlib.suppress(ResourceExistsError):
            container.create_container()
        self._monitor().upload_blob(json.dumps(status), overwrite=True)

    async def fire(self, past_due: bool, status: dict[str, Any] | None, upcoming: datetime) -> None:
        request = TimerRequest(
            past_due=past_due, schedule_status=status or {}, schedule={"AdjustForDST": True}
        )
        try:
            await invoke_async(self.function, request, {}, self.client_json())
            log.info(
                "Executed '%s' (timer%s); next at %s",
                self.function.name,
                ", past due" if past_due else "",
                upcoming,
            )
        except Exception:
            log.exception("Function '%s' (timer) failed", self.function.name)
        await asyncio.to_thread(self._write_status, self.clock(), upcoming)

    async def run(self) -> None:
        status = await asyncio.to_thread(self._read_status)
        now = self.clock()
        upcoming = self.schedule.next_after(now)
        missed = status is not None and datetime.fromisoformat(status["Next"]) < now
        log.info("Timer '%s' on schedule '%s'; next at %s", self.function.name, self.schedule.text, upcoming)
        if missed or self.function.run_on_startup:
            await self.fire(missed, status, upcoming)
        while True:
            await asyncio.sleep(max((upcoming - self.clock()).total_seconds(), 0))
            status = {"Last": upcoming.isoformat(), "Next": self.schedule.next_after(upcoming).isoformat()}
            upcoming = self.schedule.next_after(max(upcoming, self.clock()))
            await self.fire(False, status, upcoming)
