"""The local EventBridge Scheduler: fires schedules read from the Scheduler API and the template.

Schedules are re-read from moto every few seconds (so those created at runtime are picked up);
each (schedule, fire time) fires once, invoking the target function with its Input.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from a2n.local.clock import Clock, ManualClock, SystemClock
from a2n.local.functions import FunctionHost
from a2n.local.schedule_events import TrackedSchedule, schedule_event, template_schedules

if TYPE_CHECKING:
    from mypy_boto3_scheduler import EventBridgeSchedulerClient

_log = logging.getLogger("a2n.local")
# A long pause (or a big ManualClock jump) fires at most this many missed occurrences per schedule.
MAX_CATCH_UP = 10
_MAX_STEPS = 100_000


@dataclass(frozen=True)
class Firing:
    """One fire, kept so tests and the dev banner can see what ran."""

    schedule: str
    scheduled_time: datetime
    function: str
    event: Any
    error: str | None = None


@dataclass
class _Cursor:
    schedule: TrackedSchedule
    after: datetime  # everything up to here has fired (or was before the schedule existed)
    anchor: datetime  # rate() periods count from here
    done: bool = False


@dataclass
class Scheduler:
    functions: FunctionHost
    clock: Clock = field(default_factory=SystemClock)
    client: EventBridgeSchedulerClient | None = None
    refresh_interval_s: float = 2.0
    fired: list[Firing] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._cursors: dict[str, _Cursor] = {}
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._template = template_schedules(self.functions.template)

    def start(self) -> None:
        if isinstance(self.clock, ManualClock):
            self.clock.subscribe(self._on_advance)
            self.refresh(self.clock.now())
            return
        self._thread = threading.Thread(target=self._tick_forever, name="a2n-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if isinstance(self.clock, ManualClock):
            self.clock.unsubscribe(self._on_advance)
        if self._thread is not None:
            self._thread.join()

    def advance(self, delta: timedelta) -> list[Firing]:
        """Move the ManualClock; returns the fires that happened (all finished on return)."""
        if not isinstance(self.clock, ManualClock):
            raise TypeError("advance() needs the runtime to be built with a ManualClock")
        count = len(self.fired)
        self.clock.advance(delta)
        return self.fired[count:]

    def _on_advance(self, before: datetime, after: datetime) -> None:
        with self._lock:
            self.refresh(before)  # schedules created since the last move exist from `before` on
            self.fire_due(after)

    def _tick_forever(self) -> None:
        last_refresh = 0.0
        while not self._stopping.is_set():
            try:
                now = self.clock.now()
                if time.monotonic() - last_refresh >= self.refresh_interval_s:
                    self.refresh(now)
                    last_refresh = time.monotonic()
                self.fire_due(now)
            except Exception:
                _log.exception("scheduler tick failed")
            self._stopping.wait(0.5)

    def refresh(self, now: datetime) -> None:
        """Track the current schedules; a new one counts from `now` (or its StartDate)."""
        current = {s.key: s for s in [*self._template, *self._from_api()]}
        with self._lock:
            for key in list(self._cursors):
                if key not in current:
                    del self._cursors[key]
            for key, schedule in current.items():
                if key not in self._cursors:
                    anchor = schedule.start or now
                    self._cursors[key] = _Cursor(schedule, after=min(now, anchor), anchor=anchor)

    def _from_api(self) -> list[TrackedSchedule]:
        if self.client is None:
            return []
        from a2n.local.schedule_events import api_schedules

        return api_schedules(self.client, self.functions.template)

    def fire_due(self, now: datetime) -> None:
        with self._lock:
            for cursor in list(self._cursors.values()):
                if not cursor.done:
                    self._fire_cursor(cursor, now)

    def _fire_cursor(self, cursor: _Cursor, now: datetime) -> None:
        schedule = cursor.schedule
        due: deque[datetime] = deque(maxlen=MAX_CATCH_UP)
        moment: datetime | None = cursor.after
        for _ in range(_MAX_STEPS):
            if moment is None:
                break
            moment = schedule.expression.next_fire(moment, schedule.timezone, start=cursor.anchor)
            if moment is None or moment > now or (schedule.end and moment > schedule.end):
                break
            due.append(moment)
        cursor.after = now
        if moment is None or (schedule.end is not None and now >= schedule.end):
            cursor.done = True
        for fire_time in due:
            self._fire(schedule, fire_time)
        if cursor.done and schedule.delete_after_completion and self.client is not None:
            # Its target may have deleted it while handling the fire (an engine timer no longer needed).
            with contextlib.suppress(self.client.exceptions.ResourceNotFoundException):
                self.client.delete_schedule(Name=schedule.name, GroupName=schedule.group)

    def _fire(self, schedule: TrackedSchedule, fire_time: datetime) -> None:
        event = schedule_event(schedule, fire_time.astimezone(UTC))
        error: str | None = None
        try:
            self.functions.invoke(schedule.function, event)
        except Exception as exc:
            _log.exception("schedule %s: %s failed", schedule.name, schedule.function)
            error = repr(exc)
        self.fired.append(Firing(schedule.key, fire_time, schedule.function, event, error))
