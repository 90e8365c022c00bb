"""cron(minutes hours day-of-month month day-of-week year) schedules and their next fire time.

The search walks year -> month -> day -> hour -> minute over the allowed values, never minute by minute.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from a2n.scheduling.cron_days import DayRule, parse_day_of_month, parse_day_of_week
from a2n.scheduling.cron_fields import HOURS, MINUTES, MONTH, YEAR, parse_values
from a2n.scheduling.model import ScheduleExpression, ScheduleExpressionError, ScheduleKind, require_aware
from a2n.scheduling.timezones import existing_wall_time_to_utc, load_zone

_FIELD_NAMES = "minutes hours day-of-month month day-of-week year"
_EXAMPLE = "cron(0 12 * * ? *) fires every day at 12:00"
_ONE_MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class CronSchedule(ScheduleExpression):
    expression: str
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    day_rule: DayRule
    months: tuple[int, ...]
    years: tuple[int, ...]
    kind: ScheduleKind = field(default="cron", init=False)

    def next_fire(self, after: datetime, timezone: str, *, start: datetime | None = None) -> datetime | None:
        require_aware(after, "after")
        zone = load_zone(timezone)
        if start is not None:
            require_aware(start, "start")
            # StartDate is inclusive: a fire exactly at `start` counts.
            after = max(after, start - timedelta(microseconds=1))
        cursor = after.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)
        while (wall := self.next_wall_time(cursor)) is not None:
            fire = existing_wall_time_to_utc(wall, zone)
            # Skipped (spring-forward) wall times never fire; a repeated (fall-back) one fires only at its
            # first instant, so when `after` sits in the second pass those wall times come back <= after.
            if fire is not None and fire > after:
                return fire
            cursor = wall + _ONE_MINUTE
        return None

    def next_wall_time(self, cursor: datetime) -> datetime | None:
        """First naive local time at or after `cursor` (minute precision) matching every field."""
        for year in _from(self.years, cursor.year):
            in_year = year == cursor.year
            for month in _from(self.months, cursor.month if in_year else 1):
                same_month = in_year and month == cursor.month
                found = self._first_in_month(year, month, cursor if same_month else None)
                if found is not None:
                    return found
        return None

    def _first_in_month(self, year: int, month: int, cursor: datetime | None) -> datetime | None:
        for day in _from(self.day_rule.days_in(year, month), cursor.day if cursor else 1):
            if cursor is not None and day == cursor.day:
                time = self._first_time(cursor.hour, cursor.minute)
            else:
                time = self._first_time(0, 0)
            if time is not None:
                return datetime(year, month, day, *time)
        return None

    def _first_time(self, hour: int, minute: int) -> tuple[int, int] | None:
        for candidate_hour in _from(self.hours, hour):
            minutes = _from(self.minutes, minute if candidate_hour == hour else 0)
            if minutes:
                return candidate_hour, minutes[0]
        return None


def _from(values: Sequence[int], low: int) -> Sequence[int]:
    return values[bisect_left(values, low) :]


def parse_cron(expression: str, body: str) -> CronSchedule:
    """Parse the text inside cron(...); `expression` is kept verbatim for display and for AWS."""
    fields = body.split()
    if len(fields) != 6:
        raise ScheduleExpressionError(
            f"cron() needs 6 fields ({_FIELD_NAMES}), got {len(fields)}. Example: {_EXAMPLE}"
        )
    minutes, hours, day_of_month, month, day_of_week, year = fields
    return CronSchedule(
        expression=expression,
        minutes=parse_values(minutes, MINUTES),
        hours=parse_values(hours, HOURS),
        day_rule=_parse_day_rule(day_of_month, day_of_week),
        months=parse_values(month, MONTH),
        years=parse_values(year, YEAR),
    )


def _parse_day_rule(day_of_month: str, day_of_week: str) -> DayRule:
    dom_any, dow_any = day_of_month == "?", day_of_week == "?"
    if dom_any == dow_any:
        raise ScheduleExpressionError(
            "cron() needs ? in exactly one of day-of-month and day-of-week (AWS cannot combine them). "
            "Examples: cron(0 12 * * ? *) or cron(0 12 ? * MON-FRI *)"
        )
    return parse_day_of_week(day_of_week) if dom_any else parse_day_of_month(day_of_month)
