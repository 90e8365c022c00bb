"""Clocks for the local scheduler: the wall clock, and a manual one that tests move by hand.

``ManualClock.advance`` calls its listeners synchronously, so when it returns every schedule that
fell due has already fired.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

# Called with (time before, time after) each time a ManualClock moves.
ClockListener = Callable[[datetime, datetime], None]


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told; ``advance`` fires what fell due before returning."""

    def __init__(self, start: datetime | None = None) -> None:
        moment = start or datetime(2026, 1, 1, tzinfo=UTC)
        if moment.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start")
        self._now = moment
        self._lock = threading.RLock()
        self._listeners: list[ClockListener] = []

    def now(self) -> datetime:
        return self._now

    def subscribe(self, listener: ClockListener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: ClockListener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError("time does not go backwards")
        return self.set(self._now + delta)

    def set(self, moment: datetime) -> datetime:
        with self._lock:
            before, self._now = self._now, moment
            for listener in list(self._listeners):
                listener(before, moment)
            return moment
