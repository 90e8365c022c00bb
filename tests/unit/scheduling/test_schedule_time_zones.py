"""cron/at evaluated in IANA zones across both DST transitions (Europe/Paris, America/New_York), as AWS does.

2024: Paris 03-31 02:00->03:00 and 10-27 03:00->02:00; New York 03-10 02:00->03:00 and 11-03 02:00->01:00.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from a2n.scheduling.expressions import ScheduleExpressionError, is_valid_timezone, parse_schedule


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


CASES = [
    # GIVEN a daily cron at a wall time, WHEN DST starts, THEN it keeps the wall time (the UTC instant moves).
    ("cron(0 9 * * ? *)", "America/New_York", utc(2024, 3, 9, 15, 0), utc(2024, 3, 10, 13, 0)),
    ("cron(0 9 * * ? *)", "Europe/Paris", utc(2024, 3, 30, 9, 0), utc(2024, 3, 31, 7, 0)),
    # Spring-forward: a wall time that does not exist that day is skipped, not shifted.
    ("cron(30 2 * * ? *)", "Europe/Paris", utc(2024, 3, 30, 2, 0), utc(2024, 4, 1, 0, 30)),
    ("cron(0 2 * * ? *)", "America/New_York", utc(2024, 3, 9, 8, 0), utc(2024, 3, 11, 6, 0)),
    ("cron(0/30 * * * ? *)", "America/New_York", utc(2024, 3, 10, 6, 45), utc(2024, 3, 10, 7, 0)),
    ("cron(0/30 * * * ? *)", "Europe/Paris", utc(2024, 3, 31, 0, 45), utc(2024, 3, 31, 1, 0)),
    # Fall-back: a repeated wall time fires once, at its first (summer-time) instant ...
    ("cron(30 2 * * ? *)", "Europe/Paris", utc(2024, 10, 26, 12, 0), utc(2024, 10, 27, 0, 30)),
    ("cron(30 1 * * ? *)", "America/New_York", utc(2024, 11, 3, 4, 0), utc(2024, 11, 3, 5, 30)),
    # ... and not again at its second instant: the next fire is the following day.
    ("cron(30 2 * * ? *)", "Europe/Paris", utc(2024, 10, 27, 0, 30), utc(2024, 10, 28, 1, 30)),
    ("cron(30 1 * * ? *)", "America/New_York", utc(2024, 11, 3, 5, 30), utc(2024, 11, 4, 6, 30)),
    # Minute-level crons: after the last first-pass fire, the repeated hour is silent.
    ("cron(0/15 * * * ? *)", "Europe/Paris", utc(2024, 10, 27, 0, 50), utc(2024, 10, 27, 2, 0)),
    ("cron(0/15 * * * ? *)", "America/New_York", utc(2024, 11, 3, 5, 45), utc(2024, 11, 3, 7, 0)),
    # `after` inside the second pass (02:10 CET): wall times of the repeated hour are already past.
    ("cron(0/15 * * * ? *)", "Europe/Paris", utc(2024, 10, 27, 1, 10), utc(2024, 10, 27, 2, 0)),
    # A non-DST zone and a half-hour-offset zone.
    ("cron(0 9 * * ? *)", "Asia/Tokyo", utc(2024, 5, 1, 0, 0), utc(2024, 5, 2, 0, 0)),
    ("cron(0 9 * * ? *)", "Asia/Kolkata", utc(2024, 5, 1, 0, 0), utc(2024, 5, 1, 3, 30)),
    # Day boundaries follow the zone: 23:30 on the last day of the month in Paris is 21:30/22:30 UTC.
    ("cron(30 23 L * ? *)", "Europe/Paris", utc(2024, 2, 1), utc(2024, 2, 29, 22, 30)),
    ("cron(0 0 1 * ? *)", "America/New_York", utc(2024, 4, 15), utc(2024, 5, 1, 4, 0)),
]


@pytest.mark.parametrize(("expression", "zone", "after", "expected"), CASES)
def test_cron_fires_on_wall_time_in_its_zone(
    expression: str, zone: str, after: datetime, expected: datetime
) -> None:
    assert parse_schedule(expression).next_fire(after, zone) == expected


def test_a_fall_back_day_yields_each_wall_time_once() -> None:
    schedule, cursor, fires = parse_schedule("cron(0 * * * ? *)"), utc(2024, 11, 3, 3, 0), []  # 23:00 EDT
    while (fire := schedule.next_fire(cursor, "America/New_York")) is not None and fire <= utc(
        2024, 11, 3, 9, 0
    ):
        fires.append(fire)
        cursor = fire
    # 00:00 EDT, 01:00 EDT, (01:00 EST skipped), 02:00 EST, 03:00 EST, 04:00 EST
    assert fires == [utc(2024, 11, 3, h, 0) for h in (4, 5, 7, 8, 9)]


AT_CASES = [
    ("at(2030-01-31T09:30:00)", "Europe/Paris", utc(2030, 1, 31, 8, 30)),
    ("at(2024-07-04T12:00:00)", "America/New_York", utc(2024, 7, 4, 16, 0)),
    ("at(2024-07-04T12:00:00)", "UTC", utc(2024, 7, 4, 12, 0)),
    # Inside the spring-forward gap: same offset as before the gap, so 02:30 EST = 03:30 EDT.
    ("at(2024-03-10T02:30:00)", "America/New_York", utc(2024, 3, 10, 7, 30)),
    # Repeated by fall-back: the first occurrence (01:30 EDT).
    ("at(2024-11-03T01:30:00)", "America/New_York", utc(2024, 11, 3, 5, 30)),
]


@pytest.mark.parametrize(("expression", "zone", "expected"), AT_CASES)
def test_at_is_local_time_in_the_schedule_zone(expression: str, zone: str, expected: datetime) -> None:
    schedule = parse_schedule(expression)
    assert schedule.next_fire(utc(2020, 1, 1), zone) == expected
    assert schedule.next_fire(expected, zone) is None  # strictly after: a past or current at() never fires


@pytest.mark.parametrize(
    "zone", ["Europe/Paris", "America/New_York", "UTC", "Asia/Kolkata", "Pacific/Chatham"]
)
def test_known_iana_zones_are_valid(zone: str) -> None:
    assert is_valid_timezone(zone)


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "../etc/passwd", "/etc/localtime", "Europe/", "CEST+2"])
def test_unknown_or_path_like_zones_are_invalid(zone: str) -> None:
    assert not is_valid_timezone(zone)


def test_evaluating_in_an_unknown_zone_says_what_a_zone_looks_like() -> None:
    with pytest.raises(ScheduleExpressionError, match="IANA name such as 'Europe/Paris'"):
        parse_schedule("cron(0 12 * * ? *)").next_fire(utc(2024, 1, 1), "Mars/Olympus")
