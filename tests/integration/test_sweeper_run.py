"""The sweeper run: every duty runs in its own transaction, one failing duty never stops the
others, stale outbox rows are resent, and retention is applied."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from a2n.db.enums import ExecutionMode, ExecutionStatus
from a2n.db.models import Execution, OutboxMessage, Workflow, Workspace
from a2n.execution import sweeps
from a2n.services import sweeper


@pytest.fixture
def workflow(db_session) -> Workflow:
    workspace = Workspace(name="W", slug=f"w-{uuid.uuid4().hex[:8]}")
    db_session.add(workspace)
    db_session.flush()
    wf = Workflow(workspace_id=workspace.id, name="wf", definition={"nodes": []})
    db_session.add(wf)
    db_session.flush()
    return wf


def _execution(
    db_session, workflow: Workflow, status: ExecutionStatus, ended_at: datetime | None
) -> uuid.UUID:
    execution = Execution(
        workflow_id=workflow.id,
        workflow_version=1,
        workspace_id=workflow.workspace_id,
        status=status,
        mode=ExecutionMode.MANUAL,
        ended_at=ended_at,
    )
    db_session.add(execution)
    db_session.flush()
    return execution.id


def sweep_ticks() -> list[str]:
    import boto3

    listed = boto3.client("scheduler", region_name="us-east-1").list_schedules(GroupName="default")
    return sorted(s["Name"] for s in listed["Schedules"] if s["Name"].startswith("sweep-"))


def test_a_failing_duty_is_reported_the_others_still_run_and_the_next_tick_retries_it(
    db_session, workflow, monkeypatch, aws
) -> None:
    now = datetime.now(UTC)
    old = _execution(db_session, workflow, ExecutionStatus.SUCCEEDED, now - timedelta(days=91))

    def broken(session, at):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(sweeps, "wake_due_waits", broken)

    report = sweeper.sweep(now, retention=True)

    assert report.failed_duties == ("waits",)
    assert report.retention is not None and report.retention.succeeded_executions_deleted == 1
    db_session.expunge_all()
    assert db_session.get(Execution, old) is None
    assert report.counts()["failed_duties"] == 1
    # Nothing is in flight, but a failed duty keeps the chain going: the next minute retries it.
    assert report.chained and sweep_ticks() == [f"sweep-{int(now.timestamp()) // 60 + 1}"]


def test_a_sweep_with_nothing_in_flight_asks_for_no_next_tick(clean_db, db_session, workflow, aws) -> None:
    _execution(db_session, workflow, ExecutionStatus.WAITING, None)  # parked: its own timers wake it
    db_session.commit()

    report = sweeper.sweep(datetime.now(UTC))

    assert (report.failed_duties, report.chained, report.retention) == ((), False, None)
    assert sweep_ticks() == []


def test_stale_outbox_rows_are_resent_and_fresh_ones_left_alone(
    db_session, workflow, monkeypatch, aws
) -> None:
    import boto3

    from a2n.settings import reset_settings

    url = boto3.client("sqs", region_name="us-east-1").create_queue(QueueName="noop-steps")["QueueUrl"]
    monkeypatch.setenv("A2N_QUEUE_URLS", f'{{"noop": "{url}"}}')
    reset_settings()
    running = _execution(db_session, workflow, ExecutionStatus.RUNNING, None)
    now = datetime.now(UTC)
    # The query compares with Postgres' now(), the start of this test's (fixture-long) transaction,
    # up to seconds before `now` on a busy machine: stale by minutes, not by one second past 30 s.
    stale = OutboxMessage(
        execution_id=running, node_id="a", attempt=1, queue="noop", created_at=now - timedelta(minutes=5)
    )
    fresh = OutboxMessage(execution_id=running, node_id="b", attempt=1, queue="noop", created_at=now)
    db_session.add_all([stale, fresh])
    db_session.flush()

    report = sweeper.sweep(now)

    assert report.failed_duties == ()
    assert report.outbox_republished == 1
    assert report.chained  # the rows are still there until their steps are claimed
    received = boto3.client("sqs", region_name="us-east-1").receive_message(
        QueueUrl=url, MaxNumberOfMessages=10
    )["Messages"]
    assert [m["Body"] for m in received] == [f'{{"executionId":"{running}","nodeId":"a","attempt":1}}']
    db_session.expunge_all()
    assert db_session.scalars(
        select(OutboxMessage.node_id).where(OutboxMessage.execution_id == running)
    ).all()
