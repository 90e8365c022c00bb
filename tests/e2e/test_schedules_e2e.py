"""Schedules through the local runtime on a controlled clock: a cron(*/1 * * * ? *) schedule in
Europe/Paris fires each minute, a duplicate fire starts nothing new, deactivation deletes it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from e2e_support import RegisteredUser
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
    assert activation["triggers"] == [
        {"nodeId": "tick", "type": "SCHEDULE", "webhookUrl": None,
         "scheduleExpression": "cron(*/1 * * * ? *)", "timezone": "Europe/Paris"}
    ]  # fmt: skip
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
