"""SECURITY case 29 (starts): each workspace's execution starts go through a token bucket in Postgres,
so one tenant cannot starve the others — exact under concurrency across connections (Lambda
containers), refilled at its rate, 429 + Retry-After for HTTP callers, and skipped-but-recorded
fires for schedules and polls (whose items wait for the next poll instead of being lost)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from credential_support import member
from scripted_http import JsonHandler, serve
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session
from trigger_support import saved_workflow, schedule_definition, trigger_env, webhook_definition

from a2n.db.models import AuditLog, Execution, Workflow, WorkflowTrigger, Workspace, WorkspaceStartBucket
from a2n.db.uow import UnitOfWork
from a2n.services.activation import activate_workflow
from a2n.services.execution_commands import execute_workflow
from a2n.services.schedules import FireOutcome, handle_fire
from a2n.services.start_limits import RATE_LIMITED_ACTION, StartsRateLimited, admit_starts
from a2n.services.webhooks import WebhookDelivery, receive_webhook
from a2n.settings import reset_settings

__all__ = ["trigger_env"]


@pytest.fixture
def limits(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """``limits(rate, burst)`` sets the start rate for this test."""

    def set_limits(rate: float, burst: int) -> None:
        monkeypatch.setenv("A2N_EXECUTION_STARTS_PER_S", str(rate))
        monkeypatch.setenv("A2N_EXECUTION_STARTS_BURST", str(burst))
        reset_settings()

    yield set_limits
    monkeypatch.delenv("A2N_EXECUTION_STARTS_PER_S", raising=False)
    monkeypatch.delenv("A2N_EXECUTION_STARTS_BURST", raising=False)
    reset_settings()


def rewind_bucket(session: Session, workspace_id: uuid.UUID, seconds: float) -> None:
    """As if the last take happened `seconds` earlier: the deterministic way to let time pass."""
    session.execute(
        text("UPDATE workspace_start_buckets SET refilled_at = refilled_at - make_interval(secs => :s)"
             " WHERE workspace_id = :w"),
        {"s": seconds, "w": workspace_id},
    )  # fmt: skip


def count(session: Session, model: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.usefixtures("clean_db")
def test_case_29_concurrent_starts_on_separate_connections_never_take_more_than_the_burst(
    limits: Any, app_env: Any
) -> None:
    app_env.setenv("A2N_DATABASE_POOL_SIZE", "16")
    app_env.apply()
    limits(0.001, 10)  # a token per 1,000 s: nothing refills while the test runs
    with UnitOfWork() as uow:
        workspace = Workspace(name="W", slug=f"w-{uuid.uuid4().hex[:10]}")
        uow.session.add(workspace)
        uow.commit()
        workspace_id = workspace.id

    def start(_: int) -> int:
        with UnitOfWork() as uow:  # its own connection and transaction, like one Lambda container
            granted = admit_starts(uow.session, workspace_id, 1)
            uow.commit()
        return granted

    with ThreadPoolExecutor(max_workers=16) as pool:
        granted = list(pool.map(start, range(40)))

    assert (granted.count(1), granted.count(0)) == (10, 30)
    with UnitOfWork() as uow:
        bucket = uow.session.get(WorkspaceStartBucket, workspace_id)
        assert bucket is not None and 0 <= bucket.tokens < 1


def test_the_bucket_refills_at_its_rate_up_to_the_burst(db_session: Session, limits: Any) -> None:
    limits(2.0, 5)
    workspace_id = member(db_session).workspace.id
    assert admit_starts(db_session, workspace_id, 7) == 5  # a new workspace starts with a full bucket
    assert admit_starts(db_session, workspace_id, 1) == 0
    rewind_bucket(db_session, workspace_id, 1.5)  # 1.5 s at 2/s: 3 tokens
    assert admit_starts(db_session, workspace_id, 4) == 3
    rewind_bucket(db_session, workspace_id, 3600)
    assert admit_starts(db_session, workspace_id, 50) == 5  # never more than the burst
    other = member(db_session).workspace.id
    assert admit_starts(db_session, other, 5) == 5  # each workspace has its own bucket


def test_case_29_a_manual_start_over_the_rate_is_429_with_retry_after_and_starts_nothing(
    db_session: Session, limits: Any
) -> None:
    limits(0.5, 1)
    owner = member(db_session)
    workflow = saved_workflow(db_session, owner.workspace.id, schedule_definition())
    execute_workflow(owner.principal, workflow.id, {}, idempotency_key=None, request_hash=None)

    with pytest.raises(StartsRateLimited) as refused:
        execute_workflow(owner.principal, workflow.id, {}, idempotency_key=None, request_hash=None)

    assert refused.value.status == 429 and refused.value.retry_after_s == 2  # one token at 0.5/s
    assert "at most 0.5 executions per second (bursts of 1)" in refused.value.detail
    assert count(db_session, Execution) == 1
    limits(0, 1)  # 0 turns the limit off
    execute_workflow(owner.principal, workflow.id, {}, idempotency_key=None, request_hash=None)
    assert count(db_session, Execution) == 2


@pytest.mark.usefixtures("trigger_env")
def test_case_29_a_webhook_over_the_rate_is_429_and_its_sender_can_retry(
    db_session: Session, limits: Any
) -> None:
    limits(0.001, 1)
    owner, _, trigger_id = activated(db_session, webhook_definition())
    token = db_session.get(WorkflowTrigger, trigger_id).webhook_token  # type: ignore[union-attr]
    delivery = WebhookDelivery(token, "POST", "/", {"content-type": "application/json"}, {}, b'{"n": 1}')

    assert receive_webhook(delivery).status == 202
    with pytest.raises(StartsRateLimited) as refused:
        receive_webhook(delivery)
    assert refused.value.retry_after_s >= 999  # a token per 1,000 s
    rewind_bucket(db_session, owner.workspace.id, 1000)
    assert receive_webhook(delivery).status == 202
    assert count(db_session, Execution) == 2


@pytest.mark.usefixtures("trigger_env")
def test_case_29_a_schedule_fire_over_the_rate_is_skipped_and_recorded_for_the_owner(
    db_session: Session, limits: Any
) -> None:
    limits(0.001, 1)
    owner, workflow, trigger_id = activated(db_session, schedule_definition())
    at = datetime.now(UTC).replace(microsecond=0)

    first = handle_fire({"triggerId": str(trigger_id), "scheduledTime": _iso(at)})
    second = handle_fire({"triggerId": str(trigger_id), "scheduledTime": _iso(at + timedelta(minutes=1))})

    assert (first.outcome, second.outcome) == (FireOutcome.STARTED, FireOutcome.RATE_LIMITED)
    assert count(db_session, Execution) == 1
    entry = db_session.scalars(select(AuditLog).where(AuditLog.action == RATE_LIMITED_ACTION)).one()
    assert entry.workspace_id == owner.workspace.id and entry.entity_id == str(workflow.id)
    assert entry.actor_type == "system"
    assert entry.changes == {"triggerId": str(trigger_id), "nodeId": "tick", "mode": "schedule",
                             "scheduledTime": _iso(at + timedelta(minutes=1))}  # fmt: skip


@pytest.mark.usefixtures("trigger_env")
def test_case_29_a_poll_over_the_rate_starts_what_it_may_and_keeps_the_rest_for_the_next_poll(
    db_session: Session, limits: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("A2N_HTTP_ALLOW_NETWORKS", '["127.0.0.0/8"]')
    feed: list[dict[str, Any]] = [{"id": "old"}]

    class Feed(JsonHandler):
        def do_GET(self) -> None:
            self.send_json(200, {"items": feed})

    server = serve(Feed)
    try:
        limits(0.001, 2)
        url = f"http://127.0.0.1:{server.server_address[1]}/feed"
        owner, _, trigger_id = activated(db_session, _poll_definition(url))
        at = datetime.now(UTC).replace(microsecond=0)

        def poll(minute: int) -> Any:
            return handle_fire(
                {"triggerId": str(trigger_id), "scheduledTime": _iso(at + timedelta(minutes=minute))}
            )

        assert poll(0).execution_ids == ()  # the first poll only records what exists
        feed.extend({"id": f"item-{n}"} for n in range(3))
        started = poll(1).execution_ids
        assert len(started) == 2
        changes = db_session.scalars(
            select(AuditLog.changes).where(AuditLog.action == RATE_LIMITED_ACTION)
        ).one()
        assert (changes["mode"], changes["started"], changes["deferred"]) == ("poll", 2, 1)
        assert poll(2).execution_ids == ()  # still no token: the item waits, unseen
        rewind_bucket(db_session, owner.workspace.id, 1000)
        later = poll(3).execution_ids
        assert len(later) == 1
        items = {json.dumps(run.trigger_data) for run in db_session.scalars(select(Execution))}  # not "old"
        assert items == {json.dumps({"id": f"item-{n}"}) for n in range(3)}
    finally:
        server.shutdown()
        server.server_close()


def _poll_definition(url: str) -> dict[str, Any]:
    watch = {"expression": "rate(5 minutes)", "request": {"method": "GET", "url": url},
             "itemsPath": "body.items", "keyExpression": "id"}  # fmt: skip
    return {
        "nodes": [{"id": "watch", "type": "trigger.poll", "config": watch}, {"id": "done", "type": "noop"}],
        "connections": [{"source": "watch", "target": "done"}],
    }


def activated(session: Session, definition: dict[str, Any]) -> tuple[Any, Workflow, uuid.UUID]:
    """A new owner's workflow with one trigger, saved and activated: (owner, workflow, trigger id)."""
    owner = member(session)
    workflow = saved_workflow(session, owner.workspace.id, definition)
    activate_workflow(owner.principal, workflow.id)
    trigger_id = session.scalars(
        select(WorkflowTrigger.id).where(WorkflowTrigger.workflow_id == workflow.id)
    ).one()
    return owner, workflow, trigger_id


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
