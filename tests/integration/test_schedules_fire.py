"""Schedule fires against real Postgres: one execution per (trigger, scheduled time) whether the fire
comes twice, late or concurrently; fires for inactive, deleted or unknown triggers start nothing
(SECURITY case 7)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from credential_support import member
from sqlalchemy.orm import Session
from trigger_support import saved_workflow, schedule_definition, trigger_env

from a2n.db.models import Execution, WorkflowTrigger
from a2n.services.activation import activate_workflow, deactivate_workflow
from a2n.services.schedules import FireOutcome, ScheduleFire, handle_fire

__all__ = ["trigger_env"]
pytestmark = pytest.mark.usefixtures("trigger_env")
AT = datetime(2026, 3, 29, 9, 30, tzinfo=UTC)


def active_trigger(session: Session) -> tuple[WorkflowTrigger, object]:
    owner = member(session)
    workflow = saved_workflow(session, owner.workspace.id, schedule_definition())
    activate_workflow(owner.principal, workflow.id)
    trigger = session.query(WorkflowTrigger).filter_by(workflow_id=workflow.id).one()
    return trigger, owner


def fire(trigger_id: uuid.UUID, at: datetime = AT, now: datetime | None = None):  # type: ignore[no-untyped-def]
    event = {"triggerId": str(trigger_id), "scheduledTime": at.strftime("%Y-%m-%dT%H:%M:%SZ")}
    return handle_fire(event, now=now or at + timedelta(seconds=1))


def test_a_fire_delivered_twice_or_late_starts_one_execution_for_its_time(db_session: Session) -> None:
    trigger, _ = active_trigger(db_session)

    first = fire(trigger.id)
    again = fire(trigger.id)
    late = fire(trigger.id, now=AT + timedelta(hours=5))  # a scheduler retry hours later

    assert first.outcome == FireOutcome.STARTED
    assert again.outcome == late.outcome == FireOutcome.DUPLICATE
    assert first.execution_ids == again.execution_ids == late.execution_ids
    run = db_session.get(Execution, first.execution_ids[0])
    assert run is not None and run.mode == "schedule" and run.scheduled_time == AT
    assert run.trigger_data == {"scheduledTime": "2026-03-29T09:30:00Z"}
    assert fire(trigger.id, AT + timedelta(minutes=1)).outcome == FireOutcome.STARTED


def test_fires_for_inactive_unknown_or_too_old_triggers_start_nothing(db_session: Session) -> None:
    trigger, owner = active_trigger(db_session)
    assert fire(trigger.id, now=AT + timedelta(hours=25)).outcome == FireOutcome.TOO_LATE
    assert fire(uuid.uuid4()).outcome == FireOutcome.INACTIVE
    assert handle_fire({"triggerId": "nope"}).outcome == FireOutcome.MALFORMED
    assert handle_fire({"triggerId": str(trigger.id), "scheduledTime": "2026-03-29T09:30:00"}).outcome == (
        FireOutcome.MALFORMED  # a time without zone is not what the scheduler sends
    )

    deactivate_workflow(owner.principal, trigger.workflow_id)  # type: ignore[attr-defined]
    assert fire(trigger.id).outcome == FireOutcome.INACTIVE
    assert db_session.query(Execution).count() == 0


def test_the_fire_event_shape_is_the_sample_event() -> None:
    import json
    from pathlib import Path

    sample = json.loads((Path(__file__).parents[2] / "events" / "scheduler-fire.json").read_text())
    parsed = ScheduleFire.from_event(sample)
    assert parsed is not None and parsed.scheduled_time.tzinfo is not None
