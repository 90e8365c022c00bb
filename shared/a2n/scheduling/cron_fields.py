"""Parsing of the six EventBridge cron fields into sets of allowed values and day-of-month/week rules.

Follows the AWS "Cron expressions reference": wildcards per field, 1=SUN..7=SAT, years 1970-2199.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from a2n.scheduling.model import ScheduleExpressionError

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
MONTH_NAMES = {name: number for number, name in enumerate(_MONTHS, 1)}
DAY_NAMES = {name: number for number, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), 1)}


@dataclass(frozen=True)
class CronField:
    """One position of the cron expression: its bounds, names, whether `/` is allowed, and a valid example."""

    label: str
    low: int
    high: int
    example: str
    names: dict[str, int]
    steps: bool = True
    cyclic: bool = True

    def fail(self, message: str) -> ScheduleExpressionError:
        return ScheduleExpressionError(f"{self.label} field: {message}. Example: {self.example}")


MINUTES = CronField("Minutes", 0, 59, "cron(0/15 * * * ? *)", {})
HOURS = CronField("Hours", 0, 23, "cron(0 8-17 * * ? *)", {})
DAY_OF_MONTH = CronField("Day-of-month", 1, 31, "cron(0 12 L * ? *)", {})
MONTH = CronField("Month", 1, 12, "cron(0 12 1 JAN,JUL ? *)", MONTH_NAMES)
# AWS lists no `/` for day-of-week, unlike Quartz.
DAY_OF_WEEK = CronField("Day-of-week", 1, 7, "cron(0 12 ? * MON-FRI *)", DAY_NAMES, steps=False)
YEAR = CronField("Year", 1970, 2199, "cron(0 12 1 1 ? 2030-2035)", {}, cyclic=False)

_ITEM = re.compile(r"^(?P<base>\*|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:/(?P<step>[0-9]+))?$")


def parse_values(text: str, field: CronField) -> tuple[int, ...]:
    """Sorted values of a plain field (no L/W/#/?): a list of `*`, `n`, `a-b`, each with an optional `/n`."""
    values: set[int] = set()
    for item in text.split(","):
        values.update(_parse_item(item, field))
    return tuple(sorted(values))


def _parse_item(item: str, field: CronField) -> list[int]:
    match = _ITEM.match(item)
    if match is None:
        raise field.fail(f"{item!r} is not a value, range (a-b) or increment (a/n)")
    base, step_text = match["base"], match["step"]
    if step_text is not None and not field.steps:
        raise field.fail(f"{item!r}: the / wildcard is not allowed here")
    if base == "*":
        first, last = field.low, field.high
    elif "-" in base:
        first, last = (_parse_value(part, field) for part in base.split("-"))
    else:
        first = _parse_value(base, field)
        last = field.high if step_text is not None else first
    return _expand(first, last, _parse_step(step_text, field), field, item)


def _parse_value(token: str, field: CronField) -> int:
    named = field.names.get(token.upper())
    if named is not None:
        return named
    if not token.isdigit():
        raise field.fail(f"{token!r} is not a number{' or name' if field.names else ''}")
    value = int(token)
    if value == 0 and field is DAY_OF_WEEK:
        # Unix cron's Sunday: the most common slip when a crontab line is pasted here.
        raise field.fail("0 is not a day: EventBridge numbers days 1-7, 1 = SUN (Unix cron's 0 is 1 here)")
    if not field.low <= value <= field.high:
        raise field.fail(f"{value} is out of range {field.low}-{field.high}")
    return value


def _parse_step(step_text: str | None, field: CronField) -> int:
    if step_text is None:
        return 1
    step = int(step_text)
    span = field.high - field.low + 1
    if not 1 <= step <= span:
        raise field.fail(f"increment /{step} must be between 1 and {span}")
    return step


def _expand(first: int, last: int, step: int, field: CronField, item: str) -> list[int]:
    if first <= last:
        return list(range(first, last + 1, step))
    # A range like FRI-MON or 22-2 wraps past the field's end, as in Quartz (which EventBridge follows).
    if not field.cyclic:
        raise field.fail(f"range {item!r} runs backwards")
    span = field.high - field.low + 1
    length = (last - first) % span + 1
    return [field.low + (first - field.low + offset) % span for offset in range(0, length, step)]
