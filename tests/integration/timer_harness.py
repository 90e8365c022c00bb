"""EventBridge Scheduler for the engine's timers, over moto's schedules: fires each one-time
schedule whose at() time has come, in time order, on the engine's clock, with its Input, as the
sweeper function receives it — then deletes it, as ActionAfterCompletion DELETE does. A fire that
raises stays, as the Scheduler retries it (the test says when).

Nothing else runs the sweeper here: a test that needs a sweep gets it only if the engine asked for it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from engine_harness import Engine, node, trigger

from a2n.execution import clock

GROUP = "default"


@dataclass(frozen=True)
class Fired:
    name: str
    at: datetime
    event: Any
    error: str | None = None


@dataclass
class Timers:
    """The engine clock and the Scheduler together: `run_until` moves the one and fires the other."""

    now: datetime
    fired: list[Fired] = field(default_factory=list)

    def client(self) -> Any:
        import boto3

        return boto3.client("scheduler", region_name="us-east-1")

    def pending(self) -> dict[str, tuple[datetime, Any]]:
        """name → (fire time, Input) of every engine schedule not fired yet."""
        client = self.client()
        found: dict[str, tuple[datetime, Any]] = {}
        for summary in client.list_schedules(GroupName=GROUP)["Schedules"]:
            detail = client.get_schedule(Name=summary["Name"], GroupName=GROUP)
            expression = detail["ScheduleExpression"]
            assert expression.startswith("at(") and detail["ActionAfterCompletion"] == "DELETE", detail
            at = datetime.fromisoformat(expression[3:-1]).replace(tzinfo=UTC)
            found[summary["Name"]] = (at, json.loads(detail["Target"]["Input"]))
        return found

    def ticks(self) -> list[str]:
        return sorted(name for name in self.pending() if name.startswith("sweep-"))

    def run_until(self, moment: datetime, *, retry_failed: bool = False) -> list[Fired]:
        """Fire everything due up to `moment` (what the fires schedule, too), then set the clock there."""
        from a2n.services.sweeper import handle_timer_event

        start = len(self.fired)
        failed = set[str]() if retry_failed else {f.name for f in self.fired if f.error}
        while True:
            due = sorted((at, name, event) for name, (at, event) in self.pending().items()
                         if at <= moment and name not in failed)  # fmt: skip
            if not due:
                break
            at, name, event = due[0]
            self.now = max(self.now, at)
            try:
                handle_timer_event(event, self.now)
            except Exception as error:  # the Scheduler retries it (retry_failed=True here)
                self.fired.append(Fired(name, at, event, f"{type(error).__name__}: {error}"))
                failed.add(name)
                continue
            self.fired.append(Fired(name, at, event))
            try:
                self.client().delete_schedule(Name=name, GroupName=GROUP)
            except self.client().exceptions.ResourceNotFoundException:
                pass  # the fire deleted it itself
        self.now = max(self.now, moment)
        return self.fired[start:]

    def advance(self, delta: timedelta, **options: Any) -> list[Fired]:
        return self.run_until(self.now + delta, **options)


@pytest.fixture
def timers(aws: None) -> Iterator[Timers]:
    """The engine's clock, starting at the wall clock's second, moved only by the test."""
    found = Timers(datetime.now(UTC).replace(microsecond=0))
    clock.use(lambda: found.now)
    yield found
    clock.use(None)


DAY_MS = 86_400_000  # the default execution timeout is an hour: longer waits need a longer one
TWO_HOURS = {"mode": "duration", "seconds": 7200}


def wait_workflow(engine: Engine, config: dict[str, object], **settings: object) -> UUID:
    """trigger → pause (a wait node with `config`) → after (noop)."""
    return engine.workflow(
        [trigger(), node("pause", "wait", config), node("after", "noop")],
        [("start", "pause"), ("pause", "after")],
        **settings,
    )


def parked(engine: Engine, execution_id: UUID) -> None:
    engine.pump(until=lambda: engine.nodes(execution_id)["pause"]["status"] == "WAITING")


def parked_for_two_hours(engine: Engine) -> UUID:
    """A started run whose wait of two hours (under a day's timeout) has parked."""
    execution_id = engine.start(wait_workflow(engine, TWO_HOURS, timeoutMs=DAY_MS))
    parked(engine, execution_id)
    return execution_id
