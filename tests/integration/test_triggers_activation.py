"""Activation against real Postgres and moto's Scheduler API: one schedule per schedule trigger with
the stack's target, role, timezone and Input; webhook secrets stored encrypted; what cannot run is a 422."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest
from credential_support import member
from sqlalchemy.orm import Session
from trigger_support import (
    GROUP,
    ROLE_ARN,
    SECRET,
    TARGET_ARN,
    publish_definition,
    saved_workflow,
    schedule_definition,
    trigger_env,
    webhook_definition,
)

from a2n.db.enums import TriggerType
from a2n.db.models import AuditLog, WorkflowTrigger
from a2n.errors import NotFound, ValidationFailed
from a2n.services.activation import (
    STORED_SECRET,
    activate_workflow,
    deactivate_workflow,
    detach_triggers,
    resync_all,
    stored_blob,
)
from a2n.services.webhooks import trigger_secrets

__all__ = ["trigger_env"]
pytestmark = pytest.mark.usefixtures("trigger_env")


def schedules() -> dict[str, dict]:
    client = boto3.client("scheduler", region_name="us-east-1")
    names = [s["Name"] for s in client.list_schedules(GroupName=GROUP)["Schedules"]]
    return {n: client.get_schedule(Name=n, GroupName=GROUP) for n in names}


def rows(session: Session, workflow_id: uuid.UUID) -> list[WorkflowTrigger]:
    return list(session.query(WorkflowTrigger).filter_by(workflow_id=workflow_id))


def test_activating_a_schedule_creates_one_schedule_with_zone_target_role_and_fire_input(
    db_session: Session,
) -> None:
    owner = member(db_session)
    workflow = saved_workflow(db_session, owner.workspace.id, schedule_definition())

    result = activate_workflow(owner.principal, workflow.id)

    (row,) = rows(db_session, workflow.id)
    found = schedules()
    assert list(found) == [f"a2n-{row.id}"]
    schedule = found[f"a2n-{row.id}"]
    assert schedule["ScheduleExpression"] == "cron(*/1 * * * ? *)"
    assert schedule["ScheduleExpressionTimezone"] == "Europe/Paris"
    assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert schedule["Target"]["Arn"] == TARGET_ARN and schedule["Target"]["RoleArn"] == ROLE_ARN
    assert json.loads(schedule["Target"]["Input"]) == {
        "triggerId": str(row.id),
        "scheduledTime": "<aws.scheduler.scheduled-time>",
    }
    assert result.is_active and row.is_active and row.schedule_arn
    assert [(t.node_id, t.schedule_expression) for t in result.triggers] == [("tick", "cron(*/1 * * * ? *)")]
    assert db_session.query(AuditLog).filter_by(action="workflow.activate").count() == 1


def test_activating_twice_keeps_one_schedule_and_deactivating_deletes_it(db_session: Session) -> None:
    owner = member(db_session)
    workflow = saved_workflow(db_session, owner.workspace.id, schedule_definition())
    activate_workflow(owner.principal, workflow.id)
    activate_workflow(owner.principal, workflow.id)
    assert len(schedules()) == 1

    result = deactivate_workflow(owner.principal, workflow.id)

    assert schedules() == {}
    assert not result.is_active and not rows(db_session, workflow.id)[0].is_active


def test_saving_an_active_workflow_updates_its_schedule_and_removed_triggers_lose_theirs(
    db_session: Session,
) -> None:
    owner = member(db_session)
    workflow = saved_workflow(db_session, owner.workspace.id, schedule_definition())
    activate_workflow(owner.principal, workflow.id)
    db_session.refresh(workflow)

    publish_definition(db_session, workflow, schedule_definition("rate(5 minutes)", "UTC"))
    assert [s["ScheduleExpression"] for s in schedules().values()] == ["rate(5 minutes)"]

    publish_definition(db_session, workflow, webhook_definition())
    assert schedules() == {}
    # The removed schedule keeps an inactive, unscheduled row (a restore brings it back).
    found = sorted((r.type, r.is_active, r.schedule_arn) for r in rows(db_session, workflow.id))
    assert found == [(TriggerType.SCHEDULE, False, None), (TriggerType.WEBHOOK, True, None)]


def test_deleting_a_workflow_detaches_its_schedules(db_session: Session) -> None:
    owner = member(db_session)
    workflow = saved_workflow(db_session, owner.workspace.id, schedule_definition())
    activate_workflow(owner.principal, workflow.id)

    detach_triggers(db_session, workflow)

    assert schedules() == {}


@pytest.mark.parametrize(
    ("expression", "timezone", "field"),
    [
        ("cron(0 12 * * *)", "UTC", "expression"),
        ("rate(0 minutes)", "UTC", "expression"),
        ("cron(0 12 * * ? *)", "Mars/Olympus", "timezone"),  # the field to change (issue 11 item 10)
    ],
)
def test_an_invalid_expression_or_zone_cannot_be_activated_and_creates_nothing(
    db_session: Session, expression: str, timezone: str, field: str
) -> None:
    owner = member(db_session)
    workflow = saved_workflow(db_session, owner.workspace.id, schedule_definition(expression, timezone))

    with pytest.raises(ValidationFailed) as raised:
        activate_workflow(owner.principal, workflow.id)

    assert raised.value.problems[0].pointer == f"/definition/nodes/0/config/{field}"
    assert schedules() == {}
    db_session.refresh(workflow)
    assert not workflow.is_active


def test_hmac_webhook_without_a_secret_cannot_be_activated(db_session: Session) -> None:
    """SECURITY case 26: an HMAC trigger with no secret would accept anything (or nothing)."""
    owner = member(db_session)
    workflow = saved_workflow(
        db_session, owner.workspace.id, webhook_definition({"type": "hmac", "preset": "github"})
    )

    with pytest.raises(ValidationFailed) as raised:
        activate_workflow(owner.principal, workflow.id)

    assert [p.pointer for p in raised.value.problems] == ["/definition/nodes/0/config/auth/secret"]


def test_the_marker_alone_is_not_a_secret(db_session: Session) -> None:
    owner = member(db_session)
    auth = {"type": "hmac", "preset": "github", "secret": STORED_SECRET}
    workflow = saved_workflow(db_session, owner.workspace.id, webhook_definition(auth))

    with pytest.raises(ValidationFailed):
        activate_workflow(owner.principal, workflow.id)


def test_webhook_secret_leaves_the_definition_encrypted_and_rotation_keeps_the_old_one_for_a_while(
    db_session: Session,
) -> None:
    owner = member(db_session)
    auth = {"type": "hmac", "preset": "github", "secret": SECRET}
    workflow = saved_workflow(db_session, owner.workspace.id, webhook_definition(auth))
    (row,) = rows(db_session, workflow.id)
    assert workflow.definition["nodes"][0]["config"]["auth"]["secret"] == STORED_SECRET
    assert SECRET.encode() not in (row.webhook_secret_encrypted or b"")
    assert stored_blob(row.webhook_secret_encrypted) is not None

    publish_definition(db_session, workflow, webhook_definition({**auth, "secret": "rotated-secret"}))

    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    assert trigger_secrets(row, now) == [b"rotated-secret", SECRET.encode()]
    assert trigger_secrets(row, now + timedelta(hours=25)) == [b"rotated-secret"]


def test_webhook_url_and_token_survive_deactivate_and_reactivate(db_session: Session) -> None:
    owner = member(db_session)
    workflow = saved_workflow(db_session, owner.workspace.id, webhook_definition())

    first = activate_workflow(owner.principal, workflow.id).triggers[0].webhook_url
    deactivate_workflow(owner.principal, workflow.id)
    second = activate_workflow(owner.principal, workflow.id).triggers[0].webhook_url

    assert first == second and first is not None
    token = first.rsplit("/", 1)[1]
    assert len(token) >= 32 and token.replace("-", "").replace("_", "").isalnum()


def test_another_workspace_cannot_activate(db_session: Session) -> None:
    owner = member(db_session)
    stranger = member(db_session)
    workflow = saved_workflow(db_session, owner.workspace.id, schedule_definition())

    with pytest.raises(NotFound):
        activate_workflow(stranger.principal, workflow.id)
    assert schedules() == {}


def test_resync_all_recreates_the_schedules_of_active_triggers(db_session: Session) -> None:
    owner = member(db_session)
    workflow = saved_workflow(db_session, owner.workspace.id, schedule_definition())
    activate_workflow(owner.principal, workflow.id)
    client = boto3.client("scheduler", region_name="us-east-1")
    for name in schedules():
        client.delete_schedule(Name=name, GroupName=GROUP)

    assert resync_all() >= 1
    assert len(schedules()) == 1
