"""Notification channels, rules and delivery (issue 13 item 7) against real Postgres and real local
HTTP receivers: who may add what, the SSRF guard on URLs, an ending run routed by workflow and folder
rules to inboxes and channels, Standard Webhooks signatures the reference library accepts, retries,
the delivery log, and a failing channel disabled with its owner told."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from credential_support import Member, api_key_of, local_keys, member
from scripted_http import RecordingServer
from sqlalchemy import text
from sqlalchemy.orm import Session
from standardwebhooks.webhooks import Webhook

from a2n.api.pagination import PageRequest
from a2n.db.enums import ExecutionMode, ExecutionStatus, WorkspaceRole
from a2n.db.models import AuditLog, Execution, Notification, NotificationChannel, NotificationDelivery
from a2n.errors import Forbidden, NotFound, ValidationFailed
from a2n.execution.rows import NotifyEnded
from a2n.services import comments, notification_settings, organisation, workflows
from a2n.services.comments import CommentDraft
from a2n.services.notification_delivery import deliver_notification_batch
from a2n.services.notification_routing import execution_ended
from a2n.services.notification_settings import ChannelDraft, RuleDraft
from a2n.services.workflows import WorkflowDraft
from a2n.settings import reset_settings

__all__ = ["local_keys"]  # a fixture, used by name
pytestmark = pytest.mark.usefixtures("local_keys")

DEFINITION = {"nodes": [{"id": "start", "type": "trigger.manual", "config": {}}], "connections": []}


@pytest.fixture(autouse=True)
def loopback_allowed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("A2N_HTTP_ALLOW_NETWORKS", '["127.0.0.0/8"]')
    monkeypatch.setenv("A2N_QUEUE_URLS", "{}")  # no notification queue: deliveries are tried at once
    reset_settings()
    yield
    monkeypatch.undo()
    reset_settings()


def setenv(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    """Settings only: the test's database session stays bound as it is."""
    monkeypatch.setenv(name, value)
    reset_settings()


@pytest.fixture
def receiver() -> Iterator[RecordingServer]:
    server = RecordingServer()
    yield server
    server.close()


def channel(
    owner: Member, kind: str, url: str | None = None, **extra: Any
) -> notification_settings.ChannelView:
    return notification_settings.create_channel(
        owner.principal, ChannelDraft(kind, f"my {kind}", url=url, **extra)
    )


def ended(
    session: Session, workflow_id: uuid.UUID, workspace_id: uuid.UUID, status: str = "FAILED", ms: int = 1200
) -> NotifyEnded:
    """A run of the workflow that ended with ``status`` after ``ms``."""
    run = Execution(
        workflow_id=workflow_id,
        workflow_version=1,
        workspace_id=workspace_id,
        status=ExecutionStatus(status),
        mode=ExecutionMode.MANUAL,
    )
    session.add(run)
    session.flush()
    return NotifyEnded(run.id, workflow_id, workspace_id, status, ms)


def send_pending(db_session: Session, workspace_id: uuid.UUID) -> int:
    """What the sender function does with the queue's messages, for the workspace's pending deliveries."""
    ids = db_session.scalars(
        text(
            "SELECT d.id FROM notification_deliveries d JOIN notification_channels c ON c.id = d.channel_id"
            " WHERE d.status = 'pending' AND c.workspace_id = :ws"
        ),
        {"ws": workspace_id},
    ).all()
    body = json.dumps({"deliveryIds": [str(i) for i in ids]})
    event = {"Records": [{"messageId": "m1", "body": body, "attributes": {}, "eventSource": "aws:sqs"}]}
    try:
        return len(deliver_notification_batch(event, None)["batchItemFailures"])
    except BatchProcessingError:  # the whole batch failed: Lambda hands it all back to the queue
        return len(event["Records"])


def test_a_webhook_channel_shows_its_signing_secret_once_and_keeps_the_url_sealed(
    db_session: Session, receiver: RecordingServer
) -> None:
    owner = member(db_session)
    created = channel(owner, "webhook", f"{receiver.url}/hooks/secret-path-token")

    assert created.signing_secret is not None and created.signing_secret.startswith("whsec_")
    assert created.target == "127.0.0.1" and created.scope == "user"
    listed = notification_settings.list_channels(owner.principal, PageRequest(limit=50, cursor=None)).items
    assert [c.signing_secret for c in listed] == [None]
    row = db_session.get(NotificationChannel, created.id)
    assert row is not None and row.secret is not None
    assert b"secret-path-token" not in row.secret and created.signing_secret.encode() not in row.secret
    entry = (
        db_session.query(AuditLog)
        .filter_by(action="notification_channel.create", entity_id=str(created.id))
        .one()
    )
    assert "secret-path-token" not in json.dumps(entry.changes)


def test_urls_go_through_the_ssrf_guard(db_session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    owner = member(db_session)
    for url in ("http://169.254.169.254/latest/meta-data", "file:///etc/passwd", "http://10.0.0.5/hook"):
        with pytest.raises(ValidationFailed) as refused:
            channel(owner, "slack", url)
        assert refused.value.problems[0].pointer == "/url"
    setenv(monkeypatch, "A2N_HTTP_ALLOW_NETWORKS", "[]")
    with pytest.raises(ValidationFailed):
        channel(owner, "webhook", "http://127.0.0.1:9/hook")


def test_who_may_add_what(db_session: Session) -> None:
    admin = member(db_session, WorkspaceRole.ADMIN)
    viewer = member(db_session, WorkspaceRole.VIEWER, admin.workspace)
    outsider = member(db_session)

    assert channel(viewer, "email").target == viewer.user.email  # your own address by default
    with pytest.raises(ValidationFailed):  # never a stranger's address
        channel(viewer, "email", email=outsider.user.email)
    with pytest.raises(Forbidden):  # the workspace's channels are its ADMINs'
        channel(viewer, "email", workspace=True)
    assert channel(admin, "email", workspace=True, email=viewer.user.email).scope == "workspace"
    with pytest.raises(ValidationFailed):  # a workspace channel mails members only
        channel(admin, "email", workspace=True, email=outsider.user.email)
    with pytest.raises(Forbidden):  # channels send things out: never through an API key
        notification_settings.create_channel(
            api_key_of(admin, "workspaces:admin"), ChannelDraft("email", "key")
        )


def test_rules_name_only_what_the_caller_may_use(db_session: Session) -> None:
    owner = member(db_session)
    colleague = member(db_session, WorkspaceRole.MEMBER, owner.workspace)
    elsewhere = member(db_session)
    theirs = channel(colleague, "email")
    foreign = workflows.create_workflow(elsewhere.principal, WorkflowDraft("Theirs", DEFINITION))

    def refused(draft: RuleDraft) -> list[str]:
        with pytest.raises(ValidationFailed) as error:
            notification_settings.create_rule(owner.principal, draft)
        return [p.pointer for p in error.value.problems]

    assert refused(RuleDraft("execution.failed", channel_ids=[theirs.id])) == ["/channelIds/0"]
    assert refused(RuleDraft("execution.failed", workflow_id=foreign.id)) == ["/workflowId"]
    assert refused(RuleDraft("execution.slow")) == ["/thresholdSeconds"]
    assert refused(RuleDraft("comment.mention", workspace=True)) == ["/workspace"]
    with pytest.raises(Forbidden):
        notification_settings.create_rule(colleague.principal, RuleDraft("execution.failed", workspace=True))


def test_an_ending_run_reaches_the_owners_of_matching_rules_and_their_channels(
    db_session: Session, receiver: RecordingServer
) -> None:
    owner = member(db_session)
    colleague = member(db_session, WorkspaceRole.MEMBER, owner.workspace)
    team = organisation.create_folder(owner.principal, "Team", None)
    nested = organisation.create_folder(owner.principal, "Billing", team.id)
    workflow = workflows.create_workflow(
        owner.principal, WorkflowDraft("Invoices", DEFINITION, folder_id=nested.id)
    )
    other = workflows.create_workflow(owner.principal, WorkflowDraft("Other", DEFINITION))
    slack = channel(owner, "slack", f"{receiver.url}/slack")
    hook = channel(owner, "webhook", f"{receiver.url}/hook")
    rule = notification_settings.create_rule(
        owner.principal, RuleDraft("execution.failed", folder_id=team.id, channel_ids=[slack.id, hook.id])
    )
    notification_settings.create_rule(
        colleague.principal, RuleDraft("execution.failed", workflow_id=other.id)
    )
    notification_settings.create_rule(colleague.principal, RuleDraft("execution.slow", threshold_seconds=60))

    assert execution_ended(db_session, ended(db_session, workflow.id, owner.workspace.id, "SUCCEEDED")) == []
    announced = execution_ended(db_session, ended(db_session, workflow.id, owner.workspace.id))

    assert len(announced) == 1  # one outbox message for both deliveries
    inbox = (
        db_session.query(Notification)
        .filter_by(kind="execution.failed", workspace_id=owner.workspace.id)
        .all()
    )
    assert [n.user_id for n in inbox] == [owner.user.id]  # not the colleague: other workflow, not slow
    assert inbox[0].data["workflowName"] == "Invoices" and "/executions/" in inbox[0].data["link"]
    assert send_pending(db_session, owner.workspace.id) == 0
    slack_body, hook_body = (receiver.bodies()[i] for i in (0, 1))
    assert set(slack_body) == {"text"} and "Invoices: run failed" in slack_body["text"]
    assert hook_body["type"] == "execution.failed" and hook_body["data"]["workflowId"] == str(workflow.id)
    path, headers, raw = receiver.requests[1]
    assert path == "/hook" and headers["webhook-id"] == hook_body["id"]
    secret = hook.signing_secret
    assert secret is not None and Webhook(secret).verify(raw, headers) == hook_body  # the reference library
    log = notification_settings.list_deliveries(
        owner.principal, str(hook.id), PageRequest(limit=50, cursor=None)
    )
    assert [(d.status, d.response_status, d.attempts) for d in log.items] == [("delivered", 200, 1)]
    entry = (
        db_session.query(AuditLog).filter_by(action="notification_rule.create", entity_id=str(rule.id)).one()
    )
    assert entry.changes["folderId"] == str(team.id)


def test_a_removed_member_s_rules_go_quiet(db_session: Session) -> None:
    owner = member(db_session)
    leaver = member(db_session, WorkspaceRole.MEMBER, owner.workspace)
    workflow = workflows.create_workflow(owner.principal, WorkflowDraft("Payroll", DEFINITION))
    notification_settings.create_rule(leaver.principal, RuleDraft("execution.failed"))
    db_session.execute(text("DELETE FROM workspace_members WHERE user_id = :u"), {"u": leaver.user.id})

    execution_ended(db_session, ended(db_session, workflow.id, owner.workspace.id))

    assert db_session.query(Notification).filter_by(user_id=leaver.user.id).count() == 0


def test_failed_deliveries_are_retried_then_logged_and_a_failing_channel_is_disabled(
    db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    setenv(monkeypatch, "A2N_NOTIFICATION_MAX_ATTEMPTS", "2")
    setenv(monkeypatch, "A2N_NOTIFICATION_CHANNEL_FAILURE_LIMIT", "2")
    down = RecordingServer(default=503)
    try:
        owner = member(db_session)
        workflow = workflows.create_workflow(owner.principal, WorkflowDraft("Sync", DEFINITION))
        hook = channel(owner, "webhook", f"{down.url}/hook")
        notification_settings.create_rule(
            owner.principal, RuleDraft("execution.failed", channel_ids=[hook.id])
        )
        for _ in range(2):  # two runs fail: each delivery tried twice, then failed for good
            execution_ended(db_session, ended(db_session, workflow.id, owner.workspace.id))
            assert send_pending(db_session, owner.workspace.id) == 1  # the queue will redeliver the message
            db_session.execute(
                text("UPDATE notification_deliveries SET attempted_at = attempted_at - interval '5 minutes'")
            )
            assert send_pending(db_session, owner.workspace.id) == 0  # attempts spent: logged, not retried
    finally:
        down.close()

    assert len(down.requests) == 4
    statuses = (
        db_session.query(NotificationDelivery.status, NotificationDelivery.response_status)
        .filter_by(channel_id=hook.id)
        .all()
    )
    assert statuses == [("failed", 503), ("failed", 503)]
    row = db_session.get(NotificationChannel, hook.id)
    assert row is not None and not row.enabled and row.disabled_reason == "2 deliveries in a row failed"
    told = db_session.query(Notification).filter_by(user_id=owner.user.id, kind="channel.disabled").one()
    assert told.data["channelId"] == str(hook.id)
    execution_ended(
        db_session, ended(db_session, workflow.id, owner.workspace.id)
    )  # a disabled channel gets nothing
    assert db_session.query(NotificationDelivery).filter_by(channel_id=hook.id).count() == 2
    again = notification_settings.update_channel(owner.principal, str(hook.id), name=None, enabled=True)
    assert again.enabled and again.consecutive_failures == 0


def test_a_mention_goes_to_the_channels_of_the_mentioned_person_s_rule(
    db_session: Session, receiver: RecordingServer
) -> None:
    author = member(db_session)
    mentioned = member(db_session, WorkspaceRole.MEMBER, author.workspace)
    workflow = workflows.create_workflow(author.principal, WorkflowDraft("Orders", DEFINITION))
    slack = channel(mentioned, "slack", f"{receiver.url}/slack")
    notification_settings.create_rule(
        mentioned.principal, RuleDraft("comment.mention", channel_ids=[slack.id])
    )

    comments.add_comment(
        author.principal, str(workflow.id), CommentDraft(f"@{mentioned.user.email} secret plan inside")
    )

    assert len(receiver.requests) == 1  # no queue configured: attempted at once
    text_sent = receiver.bodies()[0]["text"]
    assert (
        "mentioned you on Orders" in text_sent and "secret plan" not in text_sent
    )  # never the comment's text


def test_only_the_owner_manages_a_personal_channel_and_only_admins_the_workspace_s(
    db_session: Session,
) -> None:
    admin = member(db_session, WorkspaceRole.ADMIN)
    other = member(db_session, WorkspaceRole.MEMBER, admin.workspace)
    mine = channel(other, "email")
    shared = channel(admin, "email", workspace=True)

    with pytest.raises(NotFound):
        notification_settings.delete_channel(admin.principal, str(mine.id))
    with pytest.raises(Forbidden):
        notification_settings.update_channel(other.principal, str(shared.id), name="x", enabled=None)
    notification_settings.delete_channel(other.principal, str(mine.id))
    assert db_session.get(NotificationChannel, mine.id) is None


def test_a_credential_expiring_within_7_days_is_announced_once_to_its_creator(
    db_session: Session, receiver: RecordingServer
) -> None:
    from datetime import UTC, datetime, timedelta

    from a2n.services.credentials import CredentialDraft, create_credential
    from a2n.services.notification_routing import warn_expiring_credentials

    owner = member(db_session)
    now = datetime.now(UTC)
    for name, days in (("soon", 3), ("later", 30)):
        create_credential(
            owner.principal,
            CredentialDraft(name, "bearer", {"token": "t0k"}, now + timedelta(days=days)),
            None,
        )
    slack = channel(owner, "slack", f"{receiver.url}/slack")
    notification_settings.create_rule(
        owner.principal, RuleDraft("credential.expiring", channel_ids=[slack.id])
    )

    warn_expiring_credentials(now)
    warn_expiring_credentials(now)  # once: the second sweep finds it warned

    told = db_session.query(Notification).filter_by(user_id=owner.user.id, kind="credential.expiring").all()
    assert [n.data["credentialName"] for n in told] == ["soon"]
    assert len(receiver.requests) == 1 and "Credential soon expires on" in receiver.bodies()[0]["text"]
    assert "t0k" not in json.dumps(told[0].data)
