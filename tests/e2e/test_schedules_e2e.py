"""Schedules through the local runtime on a controlled clock: a cron(*/1 * * * ? *) schedule in
Europe/Paris fires each minute, a duplicate fire starts nothing new, deactivation deletes it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from e2e_support import RegisteredUser, wait_for_execution
from waiting import wait_until

from a2n.local.runtime import LocalRuntime
from a2n.settings import reset_settings

SCHEDULE = {
    "nodes": [
        {"id": "tick", "type": "trigger.schedule",
         "config": {"expression": "cron(*/1 * * * ? *)", "timezone": "Europe/Paris"}},
        {"id": "done", "type": "noop", "config": {}},
    ],
    "connections": [{"source": "tick", "target": "done"}],
}  # fmt: skip


@pytest.fixture
def any_lateness(monkeypatch: pytest.MonkeyPatch) -> Any:
    # The runtime's ManualClock starts in 2026-01-01; the function compares fires with the wall clock.
    monkeypatch.setenv("A2N_SCHEDULE_MAX_LATENESS_S", str(10 * 365 * 86400))
    reset_settings()
    yield
    monkeypatch.undo()
    reset_settings()


def schedule_names(stack: LocalRuntime) -> list[str]:
    client = stack.aws_client("scheduler")
    groups = [g["Name"] for g in client.list_schedule_groups()["ScheduleGroups"]]
    return [s["Name"] for g in groups for s in client.list_schedules(GroupName=g)["Schedules"]]


def executions_of(user: RegisteredUser, workflow_id: str) -> list[dict[str, Any]]:
    return list(user.client.get(f"/executions?workflowId={workflow_id}").json["items"])


@pytest.mark.usefixtures("any_lateness")
def test_paris_cron_fires_on_time_once_per_minute_and_stops_after_deactivation(
    stack: LocalRuntime, user: RegisteredUser
) -> None:
    created = user.client.post("/workflows", {"name": "tick", "definition": SCHEDULE}).json
    activation = user.client.post(f"/workflows/{created['id']}/activate").json
    [trigger] = activation["triggers"]
    assert {k: v for k, v in trigger.items() if k != "nextFireTimes"} == {
        "nodeId": "tick", "type": "SCHEDULE", "webhookUrl": None,
        "scheduleExpression": "cron(*/1 * * * ? *)", "timezone": "Europe/Paris",
    }  # fmt: skip
    assert len(trigger["nextFireTimes"]) == 5
    name = next(n for n in schedule_names(stack) if n.startswith("a2n-"))

    fires = [f for f in stack.scheduler.advance(timedelta(seconds=61)) if name in f.schedule]

    assert len(fires) == 1 and fires[0].error is None
    assert fires[0].scheduled_time.second == 0
    duplicate = stack.invoke("ScheduleTriggerFunction", fires[0].event)
    assert duplicate["outcome"] == "duplicate"
    wait_until(lambda: executions_of(user, created["id"])[0]["status"] == "SUCCEEDED", "the fired run to end")
    runs = executions_of(user, created["id"])
    assert len(runs) == 1 and runs[0]["mode"] == "schedule" and runs[0]["status"] == "SUCCEEDED"

    assert user.client.post(f"/workflows/{created['id']}/deactivate").status == 200
    assert name not in schedule_names(stack)
    later = [f for f in stack.scheduler.advance(timedelta(minutes=3)) if name in f.schedule]
    assert later == [] and len(executions_of(user, created["id"])) == 1


# --- what a schedule does, seen before it runs (issue 11 items 10, 11) -------------------------------

WEEKDAYS_IN_TOKYO = {
    "nodes": [
        {"id": "tick", "type": "trigger.schedule",
         "config": {"expression": "cron(30 9 ? * MON-FRI *)", "timezone": "Asia/Tokyo"}},
        {"id": "stamp", "type": "transform",
         "config": {"value": {"at": "{{ trigger.scheduledTime }}", "byHand": "{{ trigger.manual }}"}}},
    ],
    "connections": [{"source": "tick", "target": "stamp"}],
}  # fmt: skip


def _is_weekday_0930_tokyo(text: str) -> bool:
    moment = datetime.fromisoformat(text)
    return text.endswith("+09:00") and (moment.hour, moment.minute) == (9, 30) and moment.weekday() < 5


def test_a_schedule_shows_its_next_five_fires_in_its_time_zone_before_and_after_activation(
    user: RegisteredUser,
) -> None:
    created = user.client.post("/workflows", {"name": "weekdays", "definition": WEEKDAYS_IN_TOKYO}).json
    [schedule] = user.client.get(f"/workflows/{created['id']}").json["schedules"]

    assert (schedule["nodeId"], schedule["expression"], schedule["timezone"]) == (
        "tick", "cron(30 9 ? * MON-FRI *)", "Asia/Tokyo"
    )
    fires = schedule["nextFireTimes"]
    assert len(fires) == 5 and all(_is_weekday_0930_tokyo(fire) for fire in fires)
    assert fires == sorted(fires) and len(set(fires)) == 5

    [trigger] = user.client.post(f"/workflows/{created['id']}/activate").json["triggers"]
    assert trigger["nextFireTimes"] == fires
    [inactive] = user.client.post(f"/workflows/{created['id']}/deactivate").json["triggers"]
    assert inactive["nextFireTimes"] == []


def test_running_a_schedule_workflow_by_hand_fires_it_now_flagged_manual(user: RegisteredUser) -> None:
    created = user.client.post("/workflows", {"name": "by hand", "definition": WEEKDAYS_IN_TOKYO}).json
    before = datetime.now(UTC).replace(microsecond=0)

    started = user.client.post(f"/workflows/{created['id']}/execute").json
    run = wait_for_execution(user, started["executionId"])

    assert run["status"] == "SUCCEEDED"
    assert run["triggerData"]["manual"] is True
    fired = datetime.fromisoformat(run["triggerData"]["scheduledTime"])
    assert before <= fired <= datetime.now(UTC)
    assert run["output"] == {"at": run["triggerData"]["scheduledTime"], "byHand": True}

    pinned = user.client.post(
        f"/workflows/{created['id']}/execute", {"input": {"scheduledTime": "2030-01-01T00:30:00Z"}}
    ).json
    assert wait_for_execution(user, pinned["executionId"])["output"]["at"] == "2030-01-01T00:30:00Z"
