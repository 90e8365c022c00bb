"""Day selection for cron: the day-of-month rule (values, L, LW, nW) or day-of-week rule (values, L, nL, n#k).

Exactly one of the two applies (the other is `?`); each answers "which days of this month fire".
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from a2n.scheduling.cron_fields import DAY_OF_MONTH, DAY_OF_WEEK, parse_values

_SATURDAY, _SUNDAY = 5, 6  # date.weekday() numbering


class DayRule(Protocol):
    def days_in(self, year: int, month: int) -> list[int]:
        """Sorted days of `month` that match."""
        ...


def _aws_weekday(year: int, month: int, day: int) -> int:
    """EventBridge numbering: 1=SUN .. 7=SAT."""
    return (date(year, month, day).weekday() + 1) % 7 + 1


@dataclass(frozen=True)
class DayOfMonthRule:
    days: tuple[int, ...] = ()
    last: bool = False
    last_weekday: bool = False
    nearest_weekday: int | None = None

    def days_in(self, year: int, month: int) -> list[int]:
        length = calendar.monthrange(year, month)[1]
        if self.last:
            return [length]
        if self.last_weekday:
            return [_nearest_weekday(year, month, length, length)]
        if self.nearest_weekday is not None:
            if self.nearest_weekday > length:
                return []
            return [_nearest_weekday(year, month, self.nearest_weekday, length)]
        return [day for day in self.days if day <= length]


def _nearest_weekday(year: int, month: int, day: int, length: int) -> int:
    # Quartz semantics: the nearest Monday-Friday, never leaving the month (1W on a Saturday -> the 3rd).
    weekday = date(year, month, day).weekday()
    if weekday == _SATURDAY:
        return day - 1 if day > 1 else day + 2
    if weekday == _SUNDAY:
        return day + 1 if day < length else day - 2
    return day


@dataclass(frozen=True)
class DayOfWeekRule:
    weekdays: tuple[int, ...] = ()
    last_of: int | None = None
    nth: tuple[int, int] | None = None

    def days_in(self, year: int, month: int) -> list[int]:
        length = calendar.monthrange(year, month)[1]
        all_days = range(1, length + 1)
        if self.last_of is not None:
            return [max(d for d in all_days if _aws_weekday(year, month, d) == self.last_of)]
        if self.nth is not None:
            weekday, index = self.nth
            matching = [d for d in all_days if _aws_weekday(year, month, d) == weekday]
            return [matching[index - 1]] if index <= len(matching) else []
        return [d for d in all_days if _aws_weekday(year, month, d) in self.weekdays]


_NEAREST = re.compile(r"^([0-9]+)W$", re.IGNORECASE)
_LAST_OF = re.compile(r"^([A-Za-z0-9]+)L$", re.IGNORECASE)
_NTH = re.compile(r"^([A-Za-z0-9]+)#([0-9]+)$")


def parse_day_of_month(text: str) -> DayOfMonthRule:
    upper = text.upper()
    if upper == "L":
        return DayOfMonthRule(last=True)
    if upper == "LW":
        return DayOfMonthRule(last_weekday=True)
    nearest = _NEAREST.match(text)
    if nearest:
        return DayOfMonthRule(nearest_weekday=parse_values(nearest[1], DAY_OF_MONTH)[0])
    if "L" in upper or "W" in upper:
        raise DAY_OF_MONTH.fail(f"{text!r}: L, LW and nW (e.g. 15W) must stand alone")
    return DayOfMonthRule(days=parse_values(text, DAY_OF_MONTH))


def parse_day_of_week(text: str) -> DayOfWeekRule:
    # Plain L in day-of-week is the last day of the week: Saturday (7), as in Quartz.
    if text.upper() == "L":
        return DayOfWeekRule(weekdays=(7,))
    last_of = _LAST_OF.match(text)
    if last_of:
        return DayOfWeekRule(last_of=_single_weekday(last_of[1]))
    nth = _NTH.match(text)
    if nth:
        index = int(nth[2])
        if not 1 <= index <= 5:
            raise DAY_OF_WEEK.fail(f"{text!r}: the number after # must be 1-5 (3#2 = second Tuesday)")
        return DayOfWeekRule(nth=(_single_weekday(nth[1]), index))
    if "#" in text:
        raise DAY_OF_WEEK.fail(f"{text!r}: use one day#n, such as 3#2 for the second Tuesday")
    return DayOfWeekRule(weekdays=parse_values(text, DAY_OF_WEEK))


def _single_weekday(token: str) -> int:
    values = parse_values(token, DAY_OF_WEEK)
    if len(values) != 1 or not (token.isdigit() or token.upper() in DAY_OF_WEEK.names):
        raise DAY_OF_WEEK.fail(f"{token!r} must be one day, 1-7 or SUN-SAT")
    return values[0]
