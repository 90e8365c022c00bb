"""EventBridge Scheduler expressions: parse cron()/rate()/at(), validate them, compute the next fire time.

DST as AWS documents it: a cron wall time skipped by spring-forward does not fire; a repeated one fires once.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Literal

from a2n.scheduling.at import AtSchedule, parse_at
from a2n.scheduling.cron import CronSchedule, parse_cron
from a2n.scheduling.model import ScheduleExpression, ScheduleExpressionError
from a2n.scheduling.rate import RateSchedule, parse_rate
from a2n.scheduling.timezones import is_valid_timezone, load_zone

# Semantics reproduced (AWS "Schedule types on EventBridge Scheduler" and the cron reference; re:Post
# "eventbridge-scheduler-adjust-dst"):
# - cron/at are wall-clock times in the IANA zone; fires are returned as aware UTC, at second 0.
# - Spring-forward: a cron wall time that does not exist that day is skipped (no shifted fire).
# - Fall-back: a repeated wall time fires once, at its first occurrence (the earlier, DST-offset instant).
#   AWS says "runs only once"; which of the two instants is not documented, so we pick the first, like cron.
# - at() in a spring-forward gap fires at the same offset as before the gap (02:30 -> 03:30 new time);
#   AWS is silent on this, and skipping a one-time schedule would silently lose it.
# - rate(): absolute periods (a day is 24 h) from the anchor `start`; with no start the anchor is the
#   creation time `after`, so the first fire is one period later (AWS fires at creation itself; the caller
#   that wants that fire passes start=creation and after just before it).
# - cron honours `start` as AWS StartDate: no fire before it (inclusive); at() ignores it.

__all__ = [
    "AtSchedule",
    "CronSchedule",
    "RateSchedule",
    "ScheduleExpression",
    "ScheduleExpressionError",
    "ScheduleField",
    "is_valid_timezone",
    "next_fire_times",
    "parse_schedule",
    "schedule_problems",
    "validate_schedule",
]

ScheduleField = Literal["expression", "timezone"]
_FORM = re.compile(r"^(?P<kind>cron|rate|at)\((?P<body>.*)\)$", re.DOTALL)
_EXAMPLES = "Examples: cron(0 12 * * ? *), rate(5 minutes), at(2030-01-31T09:30:00)"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_schedule(expression: str) -> ScheduleExpression:
    """Parse an EventBridge Scheduler expression; ScheduleExpressionError carries a user-facing message."""
    if not isinstance(expression, str):
        raise ScheduleExpressionError(f"A schedule expression must be text. {_EXAMPLES}")
    match = _FORM.match(expression)
    if match is None:
        raise ScheduleExpressionError(
            f"{expression!r} is not a schedule expression: use cron(...), rate(...) or at(...). {_EXAMPLES}"
        )
    kind, body = match["kind"], match["body"]
    if kind == "cron":
        return parse_cron(expression, body)
    if kind == "rate":
        return parse_rate(expression, body)
    return parse_at(expression, body)


def validate_schedule(expression: str, timezone: str, *, now: datetime | None = None) -> list[str]:
    """Every problem with this expression and zone, as user-facing messages; empty when valid.

    A cron that matches no date at all (e.g. cron(0 0 30 2 ? *)) is a problem; with `now`, so is a
    schedule that has no fire after `now` (a past at(), a cron limited to past years).
    """
    return [message for _, message in schedule_problems(expression, timezone, now=now)]


def schedule_problems(
    expression: str, timezone: str, *, now: datetime | None = None
) -> list[tuple[ScheduleField, str]]:
    """`validate_schedule`'s problems, each with the config field it is about (`timezone` or
    `expression`), so that a 422 points at what to change."""
    problems: list[tuple[ScheduleField, str]] = []
    zone = timezone
    try:
        load_zone(timezone)
    except ScheduleExpressionError as exc:
        problems.append(("timezone", str(exc)))
        zone = "UTC"  # still check the expression itself
    try:
        schedule = parse_schedule(expression)
    except ScheduleExpressionError as exc:
        return [*problems, ("expression", str(exc))]
    if isinstance(schedule, CronSchedule) and schedule.next_fire(_EPOCH, zone) is None:
        problems.append(
            ("expression", f"{expression} never fires: no date matches all its fields (years 1970-2199).")
        )
    elif now is not None and schedule.next_fire(now, zone) is None:
        problems.append(
            ("expression", f"{expression} has no fire time after {now.isoformat()}: it lies in the past.")
        )
    return problems


def next_fire_times(expression: str, timezone: str, after: datetime, count: int = 5) -> list[datetime]:
    """The next `count` fires strictly after `after`, as aware datetimes in `timezone` (fewer when the
    schedule ends, none when it is invalid): what a person checks a schedule against."""
    try:
        schedule = parse_schedule(expression)
        zone = load_zone(timezone)
    except ScheduleExpressionError:
        return []
    fires: list[datetime] = []
    cursor = after
    while len(fires) < count and (fire := schedule.next_fire(cursor, timezone)) is not None:
        fires.append(fire.astimezone(zone))
        cursor = fire
    return fires
