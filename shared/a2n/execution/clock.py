"""The engine's clock: the one time that waits, retry delays, leases, deadlines and engine timers are
set by and compared with.

On AWS it is the wall clock. The local runtime installs its own clock (`use`), so that under a
ManualClock the timers it fires and the times the engine checks them against agree: a wait of two
hours is due exactly when the test has moved the clock two hours on. That is why the engine's SQL
takes its `now` from here instead of Postgres' now() wherever it decides something is due.
Timestamps that are only displayed (a node's start and end, log lines) keep the database's clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime


def _wall_clock() -> datetime:
    return datetime.now(UTC)


_source: Callable[[], datetime] = _wall_clock


def now() -> datetime:
    """The engine's current time (timezone-aware UTC)."""
    return _source()


def use(source: Callable[[], datetime] | None) -> None:
    """Make `source` the engine's clock for this process; None restores the wall clock."""
    global _source  # noqa: PLW0603 - one clock per process, as one wall clock per Lambda container
    _source = source or _wall_clock
