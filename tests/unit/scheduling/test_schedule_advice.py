"""A schedule that does not validate points at the field to change; one that does shows when it fires
(issue 11 item 10)."""

from __future__ import annotations

from datetime import UTC, datetime

from a2n.scheduling.expressions import next_fire_times
from a2n.workflows.schedules import schedule_previews
from a2n.workflows.validation import validate_definition


def _scheduled(config: dict[str, object]) -> dict[str, object]:
    return {
        "nodes": [{"id": "tick", "type": "trigger.schedule", "config": config}, {"id": "n", "type": "noop"}],
        "connections": [{"source": "tick", "target": "n"}],
    }


def test_a_bad_time_zone_points_at_the_timezone_field_not_the_expression() -> None:
    config = {"expression": "cron(0 9 * * ? *)", "timezone": "Europe/Pariss"}
    problems = validate_definition(_scheduled(config))

    assert [p.pointer for p in problems] == ["/definition/nodes/0/config/timezone"]
    assert "Unknown time zone 'Europe/Pariss'" in problems[0].message


def test_both_fields_wrong_gives_one_problem_at_each() -> None:
    problems = validate_definition(_scheduled({"expression": "cron(0 9 * * *)", "timezone": "Nowhere/X"}))

    assert sorted(p.pointer.rsplit("/", 1)[1] for p in problems) == ["expression", "timezone"]


def test_a_unix_sunday_zero_is_explained_with_eventbridge_numbering() -> None:
    [problem] = validate_definition(_scheduled({"expression": "cron(0 9 ? * 0 *)"}))

    assert problem.pointer == "/definition/nodes/0/config/expression"
    assert "EventBridge numbers days 1-7, 1 = SUN" in problem.message


def test_next_fire_times_are_five_instants_in_the_schedule_time_zone() -> None:
    after = datetime(2026, 3, 27, 12, 0, tzinfo=UTC)  # a Friday; Paris moves to summer time on the 29th

    fires = next_fire_times("cron(0 9 ? * MON-FRI *)", "Europe/Paris", after)

    assert [fire.isoformat() for fire in fires] == [
        "2026-03-30T09:00:00+02:00",
        "2026-03-31T09:00:00+02:00",
        "2026-04-01T09:00:00+02:00",
        "2026-04-02T09:00:00+02:00",
        "2026-04-03T09:00:00+02:00",
    ]


def test_a_schedule_that_ends_shows_only_the_fires_it_has_left() -> None:
    after = datetime(2026, 1, 1, tzinfo=UTC)

    assert [f.isoformat() for f in next_fire_times("at(2030-01-01T00:00:00)", "Asia/Tokyo", after)] == [
        "2030-01-01T00:00:00+09:00"
    ]
    assert next_fire_times("cron(0 9 * * ? *)", "Nowhere/X", after) == []


def test_previews_cover_every_schedule_and_poll_trigger_of_a_definition() -> None:
    definition = _scheduled({"expression": "rate(1 hour)", "timezone": "Asia/Tokyo"})

    [preview] = schedule_previews(definition, datetime(2026, 3, 27, 12, 0, tzinfo=UTC))

    assert (preview.node_id, preview.expression, preview.timezone) == ("tick", "rate(1 hour)", "Asia/Tokyo")
    assert preview.next_fire_times[0].isoformat() == "2026-03-27T22:00:00+09:00"
    assert len(preview.next_fire_times) == 5
