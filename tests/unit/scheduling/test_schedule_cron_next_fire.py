"""cron() next fire times in UTC: AWS reference examples, each wildcard, leap years, impossible dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from a2n.scheduling.expressions import parse_schedule


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# (expression, after, expected next fire) — calendars: 2024-05-01 is a Wednesday, 2024-05-03 a Friday.
CASES = [
    # Examples from the AWS "Cron expressions reference".
    ("cron(0 10 * * ? *)", utc(2024, 5, 1, 9, 59, 59), utc(2024, 5, 1, 10, 0)),
    ("cron(0 10 * * ? *)", utc(2024, 5, 1, 10, 0), utc(2024, 5, 2, 10, 0)),  # strictly after
    ("cron(15 12 * * ? *)", utc(2024, 5, 1, 12, 15, 1), utc(2024, 5, 2, 12, 15)),
    ("cron(0 18 ? * MON-FRI *)", utc(2024, 5, 3, 18, 0), utc(2024, 5, 6, 18, 0)),
    ("cron(0 8 1 * ? *)", utc(2024, 5, 1, 8, 0), utc(2024, 6, 1, 8, 0)),
    ("cron(0/15 * * * ? *)", utc(2024, 5, 1, 10, 7), utc(2024, 5, 1, 10, 15)),
    ("cron(0/10 * ? * MON-FRI *)", utc(2024, 5, 4, 12, 0), utc(2024, 5, 6, 0, 0)),
    ("cron(0/5 8-17 ? * MON-FRI *)", utc(2024, 5, 6, 17, 55), utc(2024, 5, 7, 8, 0)),
    # 20-2 wraps midnight: Friday 23:30 -> Monday 00:00 ("12:00 AM to 2:00 AM on Monday morning").
    ("cron(0/30 20-2 ? * MON-FRI *)", utc(2024, 5, 3, 23, 30), utc(2024, 5, 6, 0, 0)),
    ("cron(0/30 20-2 ? * MON-FRI *)", utc(2024, 5, 6, 2, 30), utc(2024, 5, 6, 20, 0)),
    # , - * / on plain fields
    ("cron(5,35 * * * ? *)", utc(2024, 5, 1, 10, 5), utc(2024, 5, 1, 10, 35)),
    ("cron(1/10 * * * ? *)", utc(2024, 5, 1, 10, 51), utc(2024, 5, 1, 11, 1)),
    ("cron(*/20 * * * ? *)", utc(2024, 5, 1, 10, 41), utc(2024, 5, 1, 11, 0)),
    ("cron(0 0-6/3 * * ? *)", utc(2024, 5, 1, 3, 0), utc(2024, 5, 1, 6, 0)),
    ("cron(0 12 1/10 * ? *)", utc(2024, 5, 21, 12, 0), utc(2024, 5, 31, 12, 0)),
    ("cron(0 12 1/10 * ? *)", utc(2024, 6, 21, 12, 0), utc(2024, 7, 1, 12, 0)),  # June has no 31st
    ("cron(0 12 1 JAN,JUL ? *)", utc(2024, 2, 1), utc(2024, 7, 1, 12, 0)),
    ("cron(0 12 1 jan-mar ? *)", utc(2024, 3, 1, 12, 0), utc(2025, 1, 1, 12, 0)),
    ("cron(0 12 1 NOV-FEB ? *)", utc(2024, 2, 1, 12, 0), utc(2024, 11, 1, 12, 0)),  # wrapping months
    ("cron(0 12 ? * FRI-MON *)", utc(2024, 5, 7), utc(2024, 5, 10, 12, 0)),  # wrapping days
    ("cron(0 12 ? * 1 *)", utc(2024, 5, 1), utc(2024, 5, 5, 12, 0)),  # 1 = SUN
    ("cron(0 12 ? * 7 *)", utc(2024, 5, 1), utc(2024, 5, 4, 12, 0)),  # 7 = SAT
    ("cron(0 12 1 1 ? 2030-2035)", utc(2024, 5, 1), utc(2030, 1, 1, 12, 0)),
    ("cron(0 12 1 1 ? 2030,2040)", utc(2030, 1, 1, 12, 0), utc(2040, 1, 1, 12, 0)),
    ("cron(0 12 1 1 ? 2199)", utc(2024, 5, 1), utc(2199, 1, 1, 12, 0)),
    # L, W, LW in day-of-month
    ("cron(0 12 L * ? *)", utc(2024, 2, 1), utc(2024, 2, 29, 12, 0)),  # leap year
    ("cron(0 12 L * ? *)", utc(2023, 2, 1), utc(2023, 2, 28, 12, 0)),
    ("cron(0 12 L 2 ? *)", utc(2100, 1, 1), utc(2100, 2, 28, 12, 0)),  # 2100 is not a leap year
    ("cron(0 12 L 2 ? *)", utc(2000, 1, 1), utc(2000, 2, 29, 12, 0)),  # 2000 is
    ("cron(0 12 LW * ? *)", utc(2024, 8, 1), utc(2024, 8, 30, 12, 0)),  # 31st is a Saturday
    ("cron(0 12 LW * ? *)", utc(2024, 3, 1), utc(2024, 3, 29, 12, 0)),  # 31st is a Sunday
    ("cron(0 12 LW * ? *)", utc(2024, 5, 1), utc(2024, 5, 31, 12, 0)),  # 31st is a Friday
    ("cron(0 12 15W * ? *)", utc(2024, 6, 1), utc(2024, 6, 14, 12, 0)),  # Saturday -> Friday
    ("cron(0 12 15W * ? *)", utc(2024, 9, 1), utc(2024, 9, 16, 12, 0)),  # Sunday -> Monday
    ("cron(0 12 15W * ? *)", utc(2024, 5, 1), utc(2024, 5, 15, 12, 0)),  # already a weekday
    ("cron(0 12 1W * ? *)", utc(2024, 5, 31), utc(2024, 6, 3, 12, 0)),  # Sat 1st -> Mon 3rd, not May 31
    ("cron(0 12 1W * ? *)", utc(2024, 8, 31), utc(2024, 9, 2, 12, 0)),  # Sun 1st -> Mon 2nd
    ("cron(0 12 31W * ? *)", utc(2024, 3, 1), utc(2024, 3, 29, 12, 0)),  # Sun 31st -> Fri 29th
    ("cron(0 12 31W * ? *)", utc(2024, 4, 1), utc(2024, 5, 31, 12, 0)),  # April has no 31st
    ("cron(0 12 30W * ? *)", utc(2024, 11, 1), utc(2024, 11, 29, 12, 0)),
    # L, nL, n# in day-of-week (1=SUN ... 7=SAT)
    ("cron(0 12 ? * L *)", utc(2024, 5, 1), utc(2024, 5, 4, 12, 0)),  # plain L = Saturday
    ("cron(0 12 ? * 6L *)", utc(2024, 5, 1), utc(2024, 5, 31, 12, 0)),  # last Friday
    ("cron(0 12 ? * 5L *)", utc(2024, 5, 1), utc(2024, 5, 30, 12, 0)),  # last Thursday
    ("cron(0 12 ? * FRIL *)", utc(2024, 5, 31, 12, 0), utc(2024, 6, 28, 12, 0)),
    ("cron(0 12 ? * 3#2 *)", utc(2024, 5, 1), utc(2024, 5, 14, 12, 0)),  # second Tuesday
    ("cron(0 12 ? * FRI#3 *)", utc(2024, 5, 1), utc(2024, 5, 17, 12, 0)),
    ("cron(0 12 ? * 2#1 *)", utc(2024, 5, 6, 12, 0), utc(2024, 6, 3, 12, 0)),
    ("cron(0 12 ? * 2#5 *)", utc(2024, 2, 1), utc(2024, 4, 29, 12, 0)),  # skips months without a 5th Monday
    # leap day
    ("cron(0 0 29 2 ? *)", utc(2024, 3, 1), utc(2028, 2, 29, 0, 0)),
]


@pytest.mark.parametrize(("expression", "after", "expected"), CASES)
def test_next_fire_matches_the_documented_semantics(
    expression: str, after: datetime, expected: datetime
) -> None:
    fire = parse_schedule(expression).next_fire(after, "UTC")
    assert fire == expected
    assert fire is not None and fire.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "expression",
    [
        "cron(0 0 30 2 ? *)",
        "cron(0 0 31 4,6,9,11 ? *)",
        "cron(0 0 29 2 ? 2100-2103)",
        "cron(0 0 ? 2 2#5 2026)",
    ],
)
def test_a_cron_that_can_never_fire_has_no_next_fire(expression: str) -> None:
    assert parse_schedule(expression).next_fire(utc(1970, 1, 1), "UTC") is None


def test_a_cron_limited_to_past_years_has_no_next_fire() -> None:
    assert parse_schedule("cron(0 12 1 1 ? 2030-2035)").next_fire(utc(2035, 1, 1, 12, 0), "UTC") is None


def test_cron_start_is_an_inclusive_lower_bound_like_aws_start_date() -> None:
    schedule = parse_schedule("cron(0 12 * * ? *)")
    assert schedule.next_fire(utc(2024, 5, 1), "UTC", start=utc(2024, 6, 1, 12, 0)) == utc(2024, 6, 1, 12, 0)
    assert schedule.next_fire(utc(2024, 7, 1), "UTC", start=utc(2024, 6, 1)) == utc(2024, 7, 1, 12, 0)


def test_a_naive_after_is_refused_rather_than_read_in_the_host_zone() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_schedule("cron(0 12 * * ? *)").next_fire(datetime(2024, 5, 1), "UTC")


BRUTE_FORCE = [
    ("cron(0/20 9-10 ? * MON-FRI *)", lambda t: t.minute % 20 == 0 and 9 <= t.hour <= 10 and t.weekday() < 5),
    ("cron(7,44 */5 * * ? *)", lambda t: t.minute in (7, 44) and t.hour % 5 == 0),
    ("cron(30 23 L * ? *)", lambda t: (t.minute, t.hour) == (30, 23) and (t + timedelta(days=1)).day == 1),
    ("cron(0 6 ? * SAT,SUN *)", lambda t: (t.minute, t.hour) == (0, 6) and t.weekday() >= 5),
]


@pytest.mark.parametrize(("expression", "matches"), BRUTE_FORCE)
def test_chained_next_fires_equal_a_minute_by_minute_scan(expression: str, matches: object) -> None:
    start, end = utc(2024, 2, 26), utc(2024, 3, 5)
    expected = []
    moment = start + timedelta(minutes=1)
    while moment <= end:
        if matches(moment):  # type: ignore[operator]
            expected.append(moment)
        moment += timedelta(minutes=1)
    schedule, fires, cursor = parse_schedule(expression), [], start
    while (fire := schedule.next_fire(cursor, "UTC")) is not None and fire <= end:
        fires.append(fire)
        cursor = fire
    assert fires == expected and fires
