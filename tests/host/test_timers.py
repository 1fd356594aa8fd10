"""Timer triggers: NCRONTAB and TimeSpan schedules, and a timer app with its schedule monitor."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from local.host.launch import start_devhost
from local.host.timers import Schedule, ScheduleError
from local.processes import Service
from tests.host.samples.conftest import APPS
from tests.host.support import KEY, WEBHOOKS, call, eventually

SATURDAY = datetime(2026, 11, 28, 10, 2, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "schedule, after, expected",
    [
        ("0 */5 * * * *", SATURDAY, SATURDAY.replace(minute=5, second=0)),
        ("*/10 * * * * *", SATURDAY, SATURDAY.replace(second=40)),
        ("0 30 9 * * Mon-Fri", SATURDAY, datetime(2026, 11, 30, 9, 30, tzinfo=UTC)),
        ("0 0 0 1 Jan *", SATURDAY, datetime(2027, 1, 1, tzinfo=UTC)),
        ("15,45 2 10 * * *", SATURDAY, SATURDAY.replace(second=45)),
        ("0 0 12 29 Feb *", SATURDAY, datetime(2028, 2, 29, 12, tzinfo=UTC)),
        ("00:00:05", SATURDAY, SATURDAY + timedelta(seconds=5)),
        ("1.00:00:00", SATURDAY, SATURDAY + timedelta(days=1)),
    ],
)
def test_next_occurrences(schedule: str, after: datetime, expected: datetime):
    assert Schedule.parse(schedule).next_after(after) == expected


@pytest.mark.parametrize(
    "schedule, message",
    [
        ("*/5 * * * *", "expected 6 NCRONTAB fields"),
        ("0 61 * * * *", "minute field '61': 61 is outside 0-59"),
        ("0 0 0 * Foo *", "month field 'Foo': 'Foo' is not a number"),
        ("*/0 * * * * *", "second field '*/0': the step '0' must be a positive number"),
    ],
)
def test_bad_schedules_name_the_field(schedule: str, message: str):
    with pytest.raises(ScheduleError, match=message.replace("*", r"\*")):
        Schedule.parse(schedule)


def reports(host: Service) -> list[dict[str, object]]:
    found = json.loads(call("GET", f"{host.url}{WEBHOOKS}/instances?code={KEY}")[2])
    return [item["output"] for item in found if item["runtimeStatus"] == "Completed"]


def test_a_timer_app_fires_on_schedule_and_catches_up_after_a_stop(tmp_path: Path, azurite: Service):
    env = {"AzureWebJobsStorage": azurite.extra["connection_string"], "REPORT_SCHEDULE": "*/1 * * * * *"}
    host = start_devhost(tmp_path, APPS / "scheduled", env=env, function_key=KEY)
    try:
        eventually(lambda: len(reports(host)) >= 2, host, "two scheduled reports")
        assert all(report == {"rendered": True, "past_due": False} for report in reports(host))
    finally:
        host.stop()
    time.sleep(1.5)  # an occurrence passes while the host is down
    host = start_devhost(tmp_path, APPS / "scheduled", env=env, function_key=KEY)
    try:
        # the monitor saw the occurrence missed while stopped: the first run after the start is past due
        eventually(lambda: {"rendered": True, "past_due": True} in reports(host), host, "a past-due report")
    finally:
        host.stop()
