"""rate(value unit) schedules: a fixed absolute period counted from the schedule's start.

A day is 24 hours of elapsed time, so DST shifts the local clock time of fires (AWS documents the same).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from a2n.scheduling.model import ScheduleExpression, ScheduleExpressionError, ScheduleKind, require_aware
from a2n.scheduling.timezones import load_zone

_RATE = re.compile(r"^(?P<value>[0-9]+)\s+(?P<unit>minutes?|hours?|days?)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_EXAMPLE = "Examples: rate(1 hour), rate(15 minutes), rate(2 days)"


@dataclass(frozen=True)
class RateSchedule(ScheduleExpression):
    expression: str
    period: timedelta
    kind: ScheduleKind = field(default="rate", init=False)

    def next_fire(self, after: datetime, timezone: str, *, start: datetime | None = None) -> datetime | None:
        """Fires at start + k*period (k >= 0); `start` defaults to `after`, i.e. the schedule's creation."""
        require_aware(after, "after")
        load_zone(timezone)  # rate ignores the zone, but AWS still rejects an unknown one
        anchor = after if start is None else start
        require_aware(anchor, "start")
        if anchor > after:
            return anchor.astimezone(UTC)
        periods = (after - anchor) // self.period + 1
        try:
            return (anchor + periods * self.period).astimezone(UTC)
        except OverflowError:
            return None


def parse_rate(expression: str, body: str) -> RateSchedule:
    """Parse the text inside rate(...); AWS wants a singular unit for 1 and a plural one otherwise."""
    match = _RATE.match(body.strip())
    if match is None:
        raise ScheduleExpressionError(
            "rate() takes a positive whole number and a unit (minute(s), hour(s), day(s)), "
            f"got {body!r}. {_EXAMPLE}"
        )
    value, unit = int(match["value"]), match["unit"]
    if value < 1:
        raise ScheduleExpressionError(f"rate() value must be at least 1, got {value}. {_EXAMPLE}")
    singular = unit.rstrip("s")
    if (value == 1) != (unit == singular):
        wanted = singular if value == 1 else f"{singular}s"
        raise ScheduleExpressionError(
            f"rate({value} {unit}) must be written rate({value} {wanted}): singular only for 1. {_EXAMPLE}"
        )
    try:
        period = timedelta(seconds=value * _UNIT_SECONDS[singular])
    except OverflowError:
        raise ScheduleExpressionError(f"rate({value} {unit}) is too long a period. {_EXAMPLE}") from None
    return RateSchedule(expression=expression, period=period)
