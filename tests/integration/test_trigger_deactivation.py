"""A poll trigger that keeps failing deactivates its workflow (issue 13 item 7, "trigger deactivated
by an error"): A2N_POLL_FAILURES_TO_DEACTIVATE failures in a row (a success resets the count) remove
its schedule, audit the system's act and tell the owner in the inbox and through their rules."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from credential_support import member
from scripted_http import JsonHandler, RecordingServer, serve
from sqlalchemy import select
from sqlalchemy.orm import Session
from trigger_support import saved_workflow, trigger_env

from a2n.db.models import AuditLog, Notification, Workflow, WorkflowTrigger
from a2n.services import notification_settings
from a2n.services.activation import activate_workflow
from a2n.services.notification_settings import ChannelDraft, RuleDraft
from a2n.services.polling import PollFailed
from a2n.services.schedules import FireOutcome, handle_fire
from a2n.settings import reset_settings

__all__ = ["trigger_env"]


@pytest.fixture
def feed() -> Iterator[tuple[str, list[int]]]:
    """A feed answering the scripted statuses (then 500): its URL and the script."""
    script: list[int] = []

    class Feed(JsonHandler):
        def do_GET(self) -> None:
            self.send_json(script.pop(0) if script else 500, {"items": []})

    server = serve(Feed)
    yield f"http://127.0.0.1:{server.server_address[1]}/feed", script
    server.shutdown()
    server.server_close()


def poll_definition(url: str) -> dict[str, Any]:
    watch = {
        "expression": "rate(5 minutes)",
        "request": {"method": "GET", "url": url},
        "itemsPath": "body.items",
        "keyExpression": "id",
    }
    return {
        "nodes": [{"id": "watch", "type": "trigger.poll", "config": watch}, {"id": "done", "type": "noop"}],
        "connections": [{"source": "watch", "target": "done"}],
    }


def test_a_poll_failing_too_often_in_a_row_deactivates_its_workflow_and_tells_its_owner(
    db_session: Session, trigger_env: None, feed: tuple[str, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("A2N_HTTP_ALLOW_NETWORKS", '["127.0.0.0/8"]')
    monkeypatch.setenv("A2N_POLL_FAILURES_TO_DEACTIVATE", "3")
    monkeypatch.setenv("A2N_QUEUE_URLS", "{}")  # no notification queue: deliveries are tried at once
    reset_settings()
    url, script = feed
    script += [500, 500, 200]  # two failures, then a success that resets the count
    receiver = RecordingServer()
    try:
        owner = member(db_session)
        workflow = saved_workflow(db_session, owner.workspace.id, poll_definition(url))
        workflow.created_by = owner.user.id
        activate_workflow(owner.principal, workflow.id)
        trigger_id = db_session.scalars(
            select(WorkflowTrigger.id).where(WorkflowTrigger.workflow_id == workflow.id)
        ).one()
        slack = notification_settings.create_channel(
            owner.principal, ChannelDraft("slack", "ops", url=f"{receiver.url}/slack")
        )
        notification_settings.create_rule(
            owner.principal, RuleDraft("trigger.deactivated", workflow_id=workflow.id, channel_ids=[slack.id])
        )
        at = datetime.now(UTC).replace(microsecond=0)

        def fire(minute: int) -> Any:
            moment = (at + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%SZ")
            return handle_fire({"triggerId": str(trigger_id), "scheduledTime": moment})

        outcomes = []
        for minute in range(7):
            try:
                outcomes.append(fire(minute).outcome)
            except PollFailed:
                outcomes.append("failed")

        failed, polled = "failed", FireOutcome.POLLED
        assert outcomes == [
            failed,
            failed,
            polled,
            failed,
            failed,
            FireOutcome.DEACTIVATED,
            FireOutcome.INACTIVE,
        ]
        db_session.expire_all()
        assert db_session.get(Workflow, workflow.id).is_active is False  # type: ignore[union-attr]
        assert db_session.get(WorkflowTrigger, trigger_id).is_active is False  # type: ignore[union-attr]
        entry = db_session.scalars(
            select(AuditLog).where(
                AuditLog.action == "workflow.deactivate", AuditLog.entity_id == str(workflow.id)
            )
        ).one()
        assert entry.actor_type == "system" and "failed 3 times in a row" in entry.changes["reason"]
        told = db_session.scalars(
            select(Notification).where(
                Notification.kind == "trigger.deactivated", Notification.workspace_id == owner.workspace.id
            )
        ).all()
        assert [(n.user_id, n.data["workflowId"]) for n in told] == [(owner.user.id, str(workflow.id))]
        assert len(receiver.requests) == 1 and "was deactivated" in receiver.bodies()[0]["text"]
    finally:
        receiver.close()
