"""rate() schedules: absolute periods counted from the start anchor, and AWS's singular/plural rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from a2n.scheduling.expressions import RateSchedule, ScheduleExpressionError, parse_schedule


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "period"),
    [
        ("rate(1 minute)", timedelta(minutes=1)),
        ("rate(5 minutes)", timedelta(minutes=5)),
        ("rate(1 hour)", timedelta(hours=1)),
        ("rate(12 hours)", timedelta(hours=12)),
        ("rate(1 day)", timedelta(days=1)),
        ("rate(7 days)", timedelta(days=7)),
    ],
)
def test_rate_period(expression: str, period: timedelta) -> None:
    schedule = parse_schedule(expression)
    assert isinstance(schedule, RateSchedule) and schedule.period == period and schedule.kind == "rate"


ANCHORED = [
    # (expression, start, after, expected)
    ("rate(5 minutes)", utc(2024, 1, 1, 0, 0), utc(2024, 1, 1, 0, 7), utc(2024, 1, 1, 0, 10)),
    (
        "rate(5 minutes)",
        utc(2024, 1, 1, 0, 0),
        utc(2024, 1, 1, 0, 10),
        utc(2024, 1, 1, 0, 15),
    ),  # strictly after
    ("rate(5 minutes)", utc(2024, 1, 1, 0, 0, 30), utc(2024, 1, 1, 0, 7), utc(2024, 1, 1, 0, 10, 30)),
    ("rate(2 hours)", utc(2024, 1, 1, 1, 0), utc(2024, 1, 2, 0, 0), utc(2024, 1, 2, 1, 0)),
    ("rate(1 hour)", utc(2024, 6, 1), utc(2024, 1, 1), utc(2024, 6, 1)),  # future start is the first fire
    ("rate(3 days)", utc(2024, 2, 27, 12, 0), utc(2024, 2, 29), utc(2024, 3, 1, 12, 0)),  # leap day counted
]


@pytest.mark.parametrize(("expression", "start", "after", "expected"), ANCHORED)
def test_rate_fires_every_period_from_its_start(
    expression: str, start: datetime, after: datetime, expected: datetime
) -> None:
    assert parse_schedule(expression).next_fire(after, "UTC", start=start) == expected


def test_without_start_the_anchor_is_creation_so_the_next_fire_is_one_period_later() -> None:
    created = utc(2024, 1, 1, 9, 13, 27)
    assert parse_schedule("rate(15 minutes)").next_fire(created, "UTC") == created + timedelta(minutes=15)


def test_a_rate_day_is_24_hours_so_local_time_shifts_across_dst() -> None:
    # 09:00 EST the day before spring-forward; 24 h later it is 10:00 EDT (AWS: a day is 24 hours).
    start = utc(2024, 3, 9, 14, 0)
    fire = parse_schedule("rate(1 day)").next_fire(start, "America/New_York", start=start)
    assert fire == utc(2024, 3, 10, 14, 0)


def test_a_start_in_another_offset_returns_utc() -> None:
    paris = datetime(2024, 1, 1, 12, 0, tzinfo=timezone(timedelta(hours=1)))
    fire = parse_schedule("rate(1 hour)").next_fire(paris - timedelta(minutes=1), "UTC", start=paris)
    assert fire is not None and fire.tzinfo is UTC and fire == utc(2024, 1, 1, 11, 0)


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("rate(1 minutes)", "rate(1 minute)"),
        ("rate(5 minute)", "rate(5 minutes)"),
        ("rate(1 days)", "rate(1 day)"),
        ("rate(0 minutes)", "at least 1"),
        ("rate(-1 minutes)", "positive whole number"),
        ("rate(1.5 hours)", "positive whole number"),
        ("rate(5 weeks)", "minute(s), hour(s), day(s)"),
        ("rate(minutes)", "positive whole number"),
        ("rate(5 MINUTES)", "positive whole number"),
        ("rate()", "positive whole number"),
        ("rate(99999999999999 days)", "too long"),
    ],
)
def test_invalid_rates_say_what_is_wrong_and_show_an_example(expression: str, fragment: str) -> None:
    with pytest.raises(ScheduleExpressionError) as caught:
        parse_schedule(expression)
    assert fragment in str(caught.value) and "Examples: rate(1 hour)" in str(caught.value)
