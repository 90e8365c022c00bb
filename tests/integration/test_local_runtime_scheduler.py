"""The local scheduler fires Scheduler-API and template schedules on a ManualClock, once, on time."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from a2n.local.clock import ManualClock
from a2n.local.runtime import LocalRuntime

TEMPLATE = Path(__file__).parents[1] / "fixtures" / "runtime" / "template.yaml"
# 08:00 UTC on a winter Monday: Europe/Paris is UTC+1, so 09:30 Paris is 08:30 UTC.
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def runtime() -> Iterator[LocalRuntime]:
    with LocalRuntime(TEMPLATE, clock=ManualClock(START)) as rt:
        yield rt
        # Moto's state is per process and another runtime (the e2e stack) may keep it alive.
        scheduler = rt.aws_client("scheduler")
        for schedule in scheduler.list_schedules().get("Schedules", []):
            if schedule["Name"].startswith("s-"):
                scheduler.delete_schedule(Name=schedule["Name"])


def recorded(rt: LocalRuntime, logical_id: str) -> list[Any]:
    events: list[Any] = sys.modules[rt.functions.handler(logical_id).__module__].EVENTS
    return events


def create_schedule(rt: LocalRuntime, expression: str, timezone: str, payload: str, **extra: Any) -> str:
    name = f"s-{uuid.uuid4().hex[:8]}"
    rt.aws_client("scheduler").create_schedule(
        Name=name,
        ScheduleExpression=expression,
        ScheduleExpressionTimezone=timezone,
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={
            "Arn": rt.template.functions["ScheduledFunction"].arn,
            "RoleArn": "arn:aws:iam::123456789012:role/scheduler",
            "Input": payload,
        },
        **extra,
    )
    return name


def test_cron_in_paris_fires_at_0930_local_with_scheduled_time_once(runtime: LocalRuntime) -> None:
    events = recorded(runtime, "ScheduledFunction")
    events.clear()
    create_schedule(
        runtime,
        "cron(30 9 * * ? *)",
        "Europe/Paris",
        '{"triggerId": "t-1", "scheduledTime": "<aws.scheduler.scheduled-time>"}',
    )
    runtime.scheduler.advance(timedelta(minutes=29, seconds=59))
    assert events == []  # 08:29:59 UTC is 09:29:59 in Paris: not yet
    runtime.scheduler.advance(timedelta(seconds=1))
    assert events == [{"triggerId": "t-1", "scheduledTime": "2026-03-02T08:30:00Z"}]
    runtime.scheduler.advance(timedelta(hours=12))
    assert len(events) == 1  # the same (schedule, time) never fires twice
    runtime.scheduler.advance(timedelta(hours=12))
    assert events[-1]["scheduledTime"] == "2026-03-03T08:30:00Z"


def test_at_schedule_fires_once_and_deleted_schedule_stops(runtime: LocalRuntime) -> None:
    events = recorded(runtime, "ScheduledFunction")
    events.clear()
    create_schedule(runtime, "at(2026-03-02T10:00:00)", "UTC", '{"kind": "once"}')
    repeating = create_schedule(runtime, "rate(1 hour)", "UTC", '{"kind": "hourly"}')
    runtime.scheduler.advance(timedelta(hours=2))
    assert sorted(e["kind"] for e in events) == ["hourly", "hourly", "once"]
    runtime.aws_client("scheduler").delete_schedule(Name=repeating)
    runtime.scheduler.advance(timedelta(hours=5))
    assert sorted(e["kind"] for e in events) == ["hourly", "hourly", "once"]


def test_template_rate_schedule_sends_a_scheduled_event_each_minute(runtime: LocalRuntime) -> None:
    events = recorded(runtime, "SweeperFunction")
    events.clear()
    fired = runtime.scheduler.advance(timedelta(minutes=3))
    assert [e["time"] for e in events] == [f"2026-03-02T08:0{m}:00Z" for m in (1, 2, 3)]
    assert events[0]["detail-type"] == "Scheduled Event"
    assert {f.function for f in fired} == {"SweeperFunction"}
