"""at(yyyy-mm-ddThh:mm:ss) one-time schedules, read as wall-clock time in the schedule's time zone.

A wall time skipped by spring-forward moves forward by the gap; a repeated one means its first occurrence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from a2n.scheduling.model import ScheduleExpression, ScheduleExpressionError, ScheduleKind, require_aware
from a2n.scheduling.timezones import load_zone, wall_time_to_utc

_AT = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}$")
_EXAMPLE = "Example: at(2030-01-31T09:30:00)"


@dataclass(frozen=True)
class AtSchedule(ScheduleExpression):
    expression: str
    wall_time: datetime
    kind: ScheduleKind = field(default="at", init=False)

    def next_fire(self, after: datetime, timezone: str, *, start: datetime | None = None) -> datetime | None:
        """The single fire if it is strictly after `after`, else None; `start` does not apply to at()."""
        require_aware(after, "after")
        fire = wall_time_to_utc(self.wall_time, load_zone(timezone))
        return fire if fire > after else None


def parse_at(expression: str, body: str) -> AtSchedule:
    """Parse the text inside at(...): a local date and time without offset, to the second."""
    if _AT.match(body) is None:
        raise ScheduleExpressionError(
            f"at() takes a date and time as yyyy-mm-ddThh:mm:ss, got {body!r}. {_EXAMPLE}"
        )
    try:
        wall_time = datetime.fromisoformat(body)
    except ValueError:
        raise ScheduleExpressionError(f"at({body}) is not a real date and time. {_EXAMPLE}") from None
    return AtSchedule(expression=expression, wall_time=wall_time)
