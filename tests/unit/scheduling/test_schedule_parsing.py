"""parse_schedule/validate_schedule: what EventBridge accepts; clear messages with examples for the rest."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from a2n.scheduling.expressions import (
    AtSchedule,
    CronSchedule,
    ScheduleExpressionError,
    parse_schedule,
    validate_schedule,
)

VALID = [
    "cron(0 10 * * ? *)",
    "cron(15 12 * * ? *)",
    "cron(0 18 ? * MON-FRI *)",
    "cron(0 8 1 * ? *)",
    "cron(0/15 * * * ? *)",
    "cron(0/10 * ? * MON-FRI *)",
    "cron(0/5 8-17 ? * MON-FRI *)",
    "cron(0/30 20-2 ? * MON-FRI *)",
    "cron(0 12 ? * 6L 2002-2199)",
    "cron(0 12 ? * 3#2 *)",
    "cron(0 12 LW * ? *)",
    "cron(0 12 15W * ? *)",
    "cron(0 12 ? * sun,sat *)",
    "cron(0  12   * * ?  *)",  # any white space between fields
    "rate(1 minute)",
    "rate(10 days)",
    "at(2030-01-31T09:30:00)",
]


@pytest.mark.parametrize("expression", VALID)
def test_valid_expressions_parse_and_validate(expression: str) -> None:
    schedule = parse_schedule(expression)
    assert str(schedule) == expression and schedule.kind == expression.split("(", maxsplit=1)[0]
    assert validate_schedule(expression, "Europe/Paris") == []


def test_parsed_cron_exposes_its_allowed_values() -> None:
    schedule = parse_schedule("cron(0/20 8-10 * JAN,DEC ? 2030)")
    assert isinstance(schedule, CronSchedule)
    assert (schedule.minutes, schedule.hours, schedule.months, schedule.years) == (
        (0, 20, 40),
        (8, 9, 10),
        (1, 12),
        (2030,),
    )


def test_parsed_at_keeps_the_wall_time() -> None:
    schedule = parse_schedule("at(2030-01-31T09:30:05)")
    assert isinstance(schedule, AtSchedule) and schedule.wall_time == datetime(2030, 1, 31, 9, 30, 5)


INVALID = [
    # (expression, fragment of the message)
    ("cron(0 12 * * *)", "needs 6 fields (minutes hours day-of-month month day-of-week year), got 5"),
    ("cron(0 0 12 * * ? *)", "got 7"),
    ("cron(0 12 * * * *)", "? in exactly one of day-of-month and day-of-week"),
    ("cron(0 12 ? * ? *)", "? in exactly one"),
    ("cron(0 12 1 * MON *)", "? in exactly one"),
    ("cron(60 12 * * ? *)", "Minutes field: 60 is out of range 0-59"),
    ("cron(0 24 * * ? *)", "Hours field: 24 is out of range 0-23"),
    ("cron(0 12 0 * ? *)", "Day-of-month field: 0 is out of range 1-31"),
    ("cron(0 12 32 * ? *)", "Day-of-month field: 32 is out of range 1-31"),
    ("cron(0 12 * 13 ? *)", "Month field: 13 is out of range 1-12"),
    ("cron(0 12 * FOO ? *)", "Month field: 'FOO' is not a number or name"),
    ("cron(0 12 ? * 0 *)", "Day-of-week field: 0 is not a day: EventBridge numbers days 1-7, 1 = SUN"),
    ("cron(0 12 ? * 8 *)", "Day-of-week field: 8 is out of range 1-7"),
    ("cron(0 12 ? * MON/2 *)", "Day-of-week field: 'MON/2': the / wildcard is not allowed here"),
    ("cron(0 12 ? * 3#6 *)", "the number after # must be 1-5"),
    ("cron(0 12 ? * 3#0 *)", "the number after # must be 1-5"),
    ("cron(0 12 ? * 2#1,3#1 *)", "use one day#n"),
    ("cron(0 12 ? * 1-3L *)", "Day-of-week field"),
    ("cron(0 12 ? * 9L *)", "Day-of-week field: 9 is out of range 1-7"),
    ("cron(0 12 L,15 * ? *)", "L, LW and nW (e.g. 15W) must stand alone"),
    ("cron(0 12 1-5W * ? *)", "must stand alone"),
    ("cron(0 12 32W * ? *)", "32 is out of range 1-31"),
    ("cron(0 12 * * ? 1969)", "Year field: 1969 is out of range 1970-2199"),
    ("cron(0 12 * * ? 2200)", "Year field: 2200 is out of range 1970-2199"),
    ("cron(0 12 * * ? 2030-2025)", "Year field: range '2030-2025' runs backwards"),
    ("cron(0/0 * * * ? *)", "increment /0 must be between 1 and 60"),
    ("cron(0/61 * * * ? *)", "increment /61 must be between 1 and 60"),
    ("cron(1-2-3 * * * ? *)", "Minutes field: '1-2-3' is not a value"),
    ("cron(, * * * ? *)", "Minutes field: '' is not a value"),
    ("cron(-5 * * * ? *)", "Minutes field"),
    ("CRON(0 12 * * ? *)", "use cron(...), rate(...) or at(...)"),
    (" cron(0 12 * * ? *)", "use cron(...), rate(...) or at(...)"),
    ("cron(0 12 * * ? *", "use cron(...), rate(...) or at(...)"),
    ("every day at noon", "use cron(...), rate(...) or at(...)"),
    ("", "use cron(...), rate(...) or at(...)"),
    ("at(2030-02-30T09:00:00)", "is not a real date and time"),
    ("at(2030-01-31T24:00:00)", "is not a real date and time"),
    ("at(2030-01-31 09:00:00)", "yyyy-mm-ddThh:mm:ss"),
    ("at(2030-01-31T09:00)", "yyyy-mm-ddThh:mm:ss"),
    ("at(2030-01-31T09:00:00Z)", "yyyy-mm-ddThh:mm:ss"),
]


@pytest.mark.parametrize(("expression", "fragment"), INVALID)
def test_invalid_expressions_explain_the_problem_with_an_example(expression: str, fragment: str) -> None:
    with pytest.raises(ScheduleExpressionError) as caught:
        parse_schedule(expression)
    message = str(caught.value)
    assert fragment in message
    assert "Example" in message
    assert isinstance(caught.value, ValueError)
    assert validate_schedule(expression, "UTC") == [message]


def test_non_text_is_rejected_with_a_schedule_error() -> None:
    with pytest.raises(ScheduleExpressionError, match="must be text"):
        parse_schedule(None)  # type: ignore[arg-type]


def test_validate_reports_every_problem_at_once() -> None:
    problems = validate_schedule("cron(0 12 * * *)", "Mars/Olympus")
    assert len(problems) == 2
    assert "Unknown time zone 'Mars/Olympus'" in problems[0] and "6 fields" in problems[1]


def test_validate_reports_a_cron_that_can_never_fire() -> None:
    assert validate_schedule("cron(0 0 30 2 ? *)", "Europe/Paris") == [
        "cron(0 0 30 2 ? *) never fires: no date matches all its fields (years 1970-2199)."
    ]


@pytest.mark.parametrize("expression", ["at(2020-01-01T00:00:00)", "cron(0 12 * * ? 2020-2023)"])
def test_validate_with_now_reports_schedules_that_lie_in_the_past(expression: str) -> None:
    now = datetime(2024, 1, 1, tzinfo=UTC)
    assert validate_schedule(expression, "UTC") == []
    [problem] = validate_schedule(expression, "UTC", now=now)
    assert "has no fire time after 2024-01-01T00:00:00+00:00" in problem


def test_validate_with_now_accepts_a_future_at() -> None:
    assert (
        validate_schedule("at(2030-01-01T00:00:00)", "Asia/Tokyo", now=datetime(2024, 1, 1, tzinfo=UTC)) == []
    )
