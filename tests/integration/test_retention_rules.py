"""Retention: each rule deletes exactly what is past its cutoff, in bounded batches."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from a2n.db.enums import ExecutionMode, ExecutionStatus, LogLevel, TriggerType
from a2n.db.models import (
    Credential,
    Execution,
    ExecutionLog,
    NotificationChannel,
    NotificationDelivery,
    WebhookDeliveryRecord,
    WebhookReceipt,
    Workflow,
    WorkflowTrigger,
    Workspace,
)
from a2n.services.retention import apply_retention
from a2n.settings import Settings

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


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
    db_session, workflow: Workflow, status: ExecutionStatus, ended_at: datetime | None, **kw
) -> uuid.UUID:
    execution = Execution(
        workflow_id=workflow.id,
        workflow_version=1,
        workspace_id=workflow.workspace_id,
        status=status,
        mode=ExecutionMode.MANUAL,
        started_at=(ended_at or NOW) - SECOND,
        ended_at=ended_at,
        **kw,
    )
    db_session.add(execution)
    db_session.flush()
    return execution.id


def _surviving(db_session, model, ids) -> set[uuid.UUID]:
    db_session.expunge_all()
    return set(db_session.scalars(select(model.id).where(model.id.in_(list(ids)))))


def test_executions_go_after_their_status_retention_not_a_second_before(db_session, workflow) -> None:
    days90, days180 = NOW - timedelta(days=90), NOW - timedelta(days=180)
    ok_old = _execution(db_session, workflow, ExecutionStatus.SUCCEEDED, days90 - SECOND)
    ok_edge = _execution(db_session, workflow, ExecutionStatus.SUCCEEDED, days90)
    failed_at_90 = _execution(db_session, workflow, ExecutionStatus.FAILED, days90 - SECOND)
    failed_old = _execution(db_session, workflow, ExecutionStatus.FAILED, days180 - SECOND)
    cancelled_old = _execution(db_session, workflow, ExecutionStatus.CANCELLED, days180 - SECOND)
    timed_out_edge = _execution(db_session, workflow, ExecutionStatus.TIMED_OUT, days180)
    # Active executions have no ended_at and are never retention's business.
    running = _execution(db_session, workflow, ExecutionStatus.RUNNING, None)
    db_session.add(ExecutionLog(execution_id=ok_old, level=LogLevel.INFO, message="cascade", ts=NOW))
    db_session.flush()

    report = apply_retention(NOW, Settings())

    assert report.succeeded_executions_deleted == 1
    assert report.failed_executions_deleted == 2
    everything = {ok_old, ok_edge, failed_at_90, failed_old, cancelled_old, timed_out_edge, running}
    assert _surviving(db_session, Execution, everything) == {ok_edge, failed_at_90, timed_out_edge, running}
    assert db_session.scalars(select(ExecutionLog).where(ExecutionLog.execution_id == ok_old)).all() == []


def test_log_lines_older_than_30_days_go_even_for_kept_executions(db_session, workflow) -> None:
    kept = _execution(db_session, workflow, ExecutionStatus.SUCCEEDED, NOW - timedelta(days=40))
    cutoff = NOW - timedelta(days=30)
    old = ExecutionLog(execution_id=kept, level=LogLevel.INFO, message="old", ts=cutoff - SECOND)
    edge = ExecutionLog(execution_id=kept, level=LogLevel.INFO, message="edge", ts=cutoff)
    db_session.add_all([old, edge])
    db_session.flush()
    ids = {old.id, edge.id}

    report = apply_retention(NOW, Settings())

    assert report.logs_deleted == 1
    assert _surviving(db_session, ExecutionLog, ids) == {edge.id}
    assert _surviving(db_session, Execution, {kept}) == {kept}


def test_settings_change_the_windows_and_zero_disables_a_rule(db_session, workflow) -> None:
    recent_ok = _execution(db_session, workflow, ExecutionStatus.SUCCEEDED, NOW - timedelta(days=2))
    ancient_failed = _execution(db_session, workflow, ExecutionStatus.FAILED, NOW - timedelta(days=900))

    report = apply_retention(NOW, Settings(retention_succeeded_days=1, retention_failed_days=0))

    assert (report.succeeded_executions_deleted, report.failed_executions_deleted) == (1, 0)
    assert _surviving(db_session, Execution, {recent_ok, ancient_failed}) == {ancient_failed}


def test_a_backlog_is_drained_in_bounded_batches_per_run(db_session, workflow) -> None:
    old = NOW - timedelta(days=365)
    ids = {_execution(db_session, workflow, ExecutionStatus.SUCCEEDED, old) for _ in range(7)}

    first = apply_retention(NOW, Settings(), batch_size=2, max_batches=2)
    assert first.succeeded_executions_deleted == 4
    assert len(_surviving(db_session, Execution, ids)) == 3

    second = apply_retention(NOW, Settings(), batch_size=2, max_batches=5)
    assert second.succeeded_executions_deleted == 3
    assert _surviving(db_session, Execution, ids) == set()


def test_idempotency_keys_are_cleared_after_24_hours_so_they_can_be_reused(db_session, workflow) -> None:
    stale = Execution(
        workflow_id=workflow.id,
        workflow_version=1,
        workspace_id=workflow.workspace_id,
        status=ExecutionStatus.SUCCEEDED,
        mode=ExecutionMode.MANUAL,
        idempotency_key="k1",
        request_hash="h",
        created_at=NOW - timedelta(hours=24) - SECOND,
    )
    fresh = Execution(
        workflow_id=workflow.id,
        workflow_version=1,
        workspace_id=workflow.workspace_id,
        status=ExecutionStatus.SUCCEEDED,
        mode=ExecutionMode.MANUAL,
        idempotency_key="k2",
        request_hash="h",
        created_at=NOW - timedelta(hours=23),
    )
    db_session.add_all([stale, fresh])
    db_session.flush()
    stale_id, fresh_id = stale.id, fresh.id

    assert apply_retention(NOW, Settings()).idempotency_keys_cleared == 1

    db_session.expunge_all()
    assert db_session.get(Execution, stale_id).idempotency_key is None
    assert db_session.get(Execution, stale_id).request_hash is None
    assert db_session.get(Execution, fresh_id).idempotency_key == "k2"


def test_webhook_receipts_older_than_7_days_are_deleted(db_session, workflow) -> None:
    trigger = WorkflowTrigger(
        workflow_id=workflow.id, workspace_id=workflow.workspace_id, node_id="hook", type=TriggerType.WEBHOOK
    )
    db_session.add(trigger)
    db_session.flush()
    old = WebhookReceipt(trigger_id=trigger.id, replay_id="a", received_at=NOW - timedelta(days=7) - SECOND)
    recent = WebhookReceipt(trigger_id=trigger.id, replay_id="b", received_at=NOW - timedelta(days=6))
    db_session.add_all([old, recent])
    db_session.flush()
    ids = {old.id, recent.id}

    assert apply_retention(NOW, Settings()).webhook_receipts_deleted == 1
    assert _surviving(db_session, WebhookReceipt, ids) == {recent.id}


def test_delivery_log_rows_older_than_7_days_are_deleted(db_session, workflow) -> None:
    trigger = WorkflowTrigger(
        workflow_id=workflow.id, workspace_id=workflow.workspace_id, node_id="hook", type=TriggerType.WEBHOOK
    )
    db_session.add(trigger)
    db_session.flush()
    rows = [
        WebhookDeliveryRecord(trigger_id=trigger.id, received_at=at, method="POST", status=401,
                              outcome="bad_signature", size_bytes=2)
        for at in (NOW - timedelta(days=7) - SECOND, NOW - timedelta(days=6))
    ]  # fmt: skip
    db_session.add_all(rows)
    db_session.flush()
    ids = {row.id for row in rows}

    assert apply_retention(NOW, Settings()).webhook_deliveries_deleted == 1
    assert _surviving(db_session, WebhookDeliveryRecord, ids) == {rows[1].id}
    assert apply_retention(NOW + timedelta(days=1), Settings(retention_webhook_deliveries_days=0)) \
        .webhook_deliveries_deleted == 0  # fmt: skip



def test_settled_notification_deliveries_older_than_30_days_are_deleted_pending_ones_kept(
    db_session, workflow
) -> None:
    """The channel delivery log (issue 13 item 7) is not kept forever; a pending row is still work."""
    channel = NotificationChannel(
        workspace_id=workflow.workspace_id, kind="slack", name="ops", target="sealed"
    )
    db_session.add(channel)
    db_session.flush()
    old = NOW - timedelta(days=30) - SECOND
    rows = [
        NotificationDelivery(channel_id=channel.id, event="execution.failed", payload={}, status=status,
                             created_at=at)
        for status, at in (("delivered", old), ("failed", old), ("pending", old),
                           ("delivered", NOW - timedelta(days=29)))
    ]  # fmt: skip
    db_session.add_all(rows)
    db_session.flush()
    ids = {row.id for row in rows}

    assert apply_retention(NOW, Settings()).notification_deliveries_deleted == 2
    assert _surviving(db_session, NotificationDelivery, ids) == {rows[2].id, rows[3].id}
    disabled = Settings(retention_notification_deliveries_days=0)
    assert apply_retention(NOW + timedelta(days=5), disabled).notification_deliveries_deleted == 0


def test_expired_credentials_are_deactivated_and_others_left_alone(db_session, workflow) -> None:
    def credential(name: str, expires_at: datetime | None) -> Credential:
        return Credential(
            workspace_id=workflow.workspace_id,
            name=name,
            type="bearer",
            encrypted_data=b"x",
            data_key_ciphertext=b"k",
            key_id="local",
            expires_at=expires_at,
        )

    expired, future, never = (
        credential("a", NOW - SECOND),
        credential("b", NOW + SECOND),
        credential("c", None),
    )
    db_session.add_all([expired, future, never])
    db_session.flush()
    ids = [expired.id, future.id, never.id]

    assert apply_retention(NOW, Settings()).credentials_deactivated == 1

    db_session.expunge_all()
    assert [db_session.get(Credential, i).is_active for i in ids] == [False, True, True]


def test_a_batch_never_exceeds_its_size_however_postgres_plans_it(db_session, workflow) -> None:
    """`DELETE … WHERE id IN (SELECT … LIMIT n FOR UPDATE)` planned as a nested-loop semi-join re-runs
    the subquery per outer row and deletes far more than n (seen: 7 from a "batch of 2"). Force that
    plan: the bound must hold whatever the planner picks."""
    old = NOW - timedelta(days=365)
    for _ in range(7):
        _execution(db_session, workflow, ExecutionStatus.SUCCEEDED, old)
    for setting in ("enable_hashjoin", "enable_mergejoin", "enable_hashagg", "enable_material"):
        db_session.execute(text(f"SET LOCAL {setting} = off"))

    report = apply_retention(NOW, Settings(), batch_size=2, max_batches=1)

    assert report.succeeded_executions_deleted == 2


def test_login_throttles_idle_for_a_day_are_deleted(db_session) -> None:
    from a2n.db.models import LoginThrottle

    old = LoginThrottle(email_hash="a" * 64, failed_logins=5, updated_at=NOW - timedelta(days=1) - SECOND)
    recent = LoginThrottle(email_hash="b" * 64, failed_logins=1, updated_at=NOW - timedelta(hours=23))
    db_session.add_all([old, recent])
    db_session.flush()

    assert apply_retention(NOW, Settings()).login_throttles_deleted == 1
    db_session.expunge_all()
    assert db_session.get(LoginThrottle, "a" * 64) is None
    assert db_session.get(LoginThrottle, "b" * 64) is not None


def test_session_revocations_are_deleted_once_no_access_token_of_theirs_can_be_valid(db_session) -> None:
    from a2n.db.models import RevokedSession

    over, live = uuid.uuid4(), uuid.uuid4()
    db_session.add_all([
        RevokedSession(session_id=over, revoked_at=NOW - timedelta(hours=1), expires_at=NOW - SECOND),
        RevokedSession(session_id=live, revoked_at=NOW - timedelta(minutes=1), expires_at=NOW + SECOND),
    ])  # fmt: skip
    db_session.flush()

    assert apply_retention(NOW, Settings()).revoked_sessions_deleted == 1
    db_session.expunge_all()
    assert db_session.get(RevokedSession, over) is None
    assert db_session.get(RevokedSession, live) is not None


def test_long_expired_account_tokens_and_old_rate_windows_are_deleted(db_session) -> None:
    from a2n.db.models import AccountToken, RateCounter

    old = AccountToken(purpose="password_reset", token_hash="o" * 64, expires_at=NOW - timedelta(days=2))
    fresh = AccountToken(purpose="password_reset", token_hash="f" * 64, expires_at=NOW - timedelta(hours=1))
    db_session.add_all([
        old, fresh,
        RateCounter(key="mail:ip:old", window_start=NOW - timedelta(days=2), count=3),
        RateCounter(key="mail:ip:new", window_start=NOW - timedelta(minutes=5), count=3),
    ])  # fmt: skip
    db_session.flush()

    report = apply_retention(NOW, Settings())

    assert (report.account_tokens_deleted, report.rate_counters_deleted) == (1, 1)
    db_session.expunge_all()
    assert db_session.get(AccountToken, old.id) is None and db_session.get(AccountToken, fresh.id) is not None
    assert db_session.get(RateCounter, "mail:ip:old") is None
    assert db_session.get(RateCounter, "mail:ip:new") is not None
