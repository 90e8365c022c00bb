"""From an event to the people and channels told of it: the rules it matches put it in their owners'
inboxes and write one pending delivery per channel, in the transaction of what happened. The
deliveries leave after commit (an ending run's by one outbox message, so the sweeper resends it if
the queue was unreachable; others by a direct send, with the sweeper resending stale pending ones).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session

    from a2n.db.models import NotificationRule, OutboxMessage, Workflow, WorkflowComment, WorkflowShare
    from a2n.execution.rows import NotifyEnded

EXECUTION_FAILED = "execution.failed"
EXECUTION_SUCCEEDED = "execution.succeeded"
EXECUTION_SLOW = "execution.slow"
TRIGGER_DEACTIVATED = "trigger.deactivated"
MENTION = "comment.mention"
SHARE_RECEIVED = "share.received"
CREDENTIAL_EXPIRING = "credential.expiring"
# About one workflow (or a folder of them, or all of the workspace's) versus about one person.
WORKFLOW_EVENTS = (EXECUTION_FAILED, EXECUTION_SUCCEEDED, EXECUTION_SLOW, TRIGGER_DEACTIVATED)
PERSONAL_EVENTS = (MENTION, SHARE_RECEIVED, CREDENTIAL_EXPIRING)
EVENTS = WORKFLOW_EVENTS + PERSONAL_EVENTS

QUEUE = "notifications"  # its key in A2N_QUEUE_URLS (the engine stack owns the queue)
IDS_PER_MESSAGE = 50


@dataclass(frozen=True)
class Event:
    """What happened, as it may travel: ids, names and links, never a secret or a node's output."""

    kind: str
    title: str
    workspace_id: uuid.UUID | None
    data: dict[str, Any] = field(default_factory=dict)

    def payload(self, at: datetime) -> dict[str, Any]:
        return {
            "type": self.kind,
            "title": self.title,
            "workspaceId": str(self.workspace_id) if self.workspace_id else None,
            "timestamp": at.isoformat().replace("+00:00", "Z"),
            "data": self.data,
        }


def route(
    session: Session,
    event: Event,
    rules: Iterable[NotificationRule],
    *,
    inboxed: Iterable[uuid.UUID] = (),
    execution_id: uuid.UUID | None = None,
) -> list[uuid.UUID]:
    """Inbox items for the rules' owners (except ``inboxed``, told already) and one pending delivery
    per enabled channel the rules name; the deliveries' ids, to send after commit."""
    from a2n.db.base import utcnow
    from a2n.db.models import NotificationDelivery
    from a2n.db.repositories.notification_channels import NotificationChannelRepository
    from a2n.services.notify import notify

    told = set(inboxed)
    channel_ids: list[uuid.UUID] = []
    for rule in rules:
        if rule.user_id is not None and rule.user_id not in told:
            notify(
                session,
                rule.user_id,
                kind=event.kind,
                title=event.title,
                workspace_id=event.workspace_id,
                data=event.data,
            )
            told.add(rule.user_id)
        channel_ids += [c for c in rule.channel_ids if c not in channel_ids]
    now = utcnow()
    channels = NotificationChannelRepository(session).enabled(channel_ids)
    payload = event.payload(now)
    deliveries = [
        NotificationDelivery(
            id=uuid.uuid4(),
            channel_id=channel.id,
            execution_id=execution_id,
            event=event.kind,
            payload=payload,
            created_at=now,
        )
        for channel in channels
    ]
    session.add_all(deliveries)
    if deliveries:
        session.flush()
    return [d.id for d in deliveries]


def personal_event(session: Session, user_id: uuid.UUID, event: Event) -> list[uuid.UUID]:
    """An event about one person (already in their inbox): their rules for it pick the channels."""
    from a2n.db.repositories.notification_channels import NotificationRuleRepository

    rules = NotificationRuleRepository(session).of_user(user_id, event.kind)
    return route(session, event, rules, inboxed=[user_id]) if rules else []


def tell(session: Session, user_id: uuid.UUID, *, kind: str, title: str, workspace_id: uuid.UUID | None,
         data: dict[str, Any]) -> list[uuid.UUID]:  # fmt: skip
    """The inbox item, and the deliveries the person's rules for ``kind`` ask for (ids, to send
    after commit with notification_routing.send_after_commit)."""
    from a2n.services.notify import notify

    notify(session, user_id, kind=kind, title=title, workspace_id=workspace_id, data=data)
    return personal_event(session, user_id, Event(kind, title[:300], workspace_id, data))


def mentioned_in_comment(
    session: Session, comment: WorkflowComment, workflow: Workflow, user_id: uuid.UUID, by: uuid.UUID
) -> list[uuid.UUID]:
    from a2n.services.notify import email_of, link

    by_email = email_of(session, by)
    return tell(
        session,
        user_id,
        kind=MENTION,
        workspace_id=workflow.workspace_id,
        title=f"{by_email or 'Someone'} mentioned you on {workflow.name}",
        data={
            "workflowId": str(workflow.id),
            "workflowName": workflow.name,
            "commentId": str(comment.id),
            "threadId": str(comment.parent_id or comment.id),
            "nodeId": comment.node_id,
            "byUserId": str(by),
            "byEmail": by_email,
            "link": link(f"/workflows/{workflow.id}/comments?parentId={comment.parent_id or comment.id}"),
        },
    )


def share_received(session: Session, share: WorkflowShare, workflow_name: str) -> list[uuid.UUID]:
    if share.grantee_user_id is None:
        return []
    from a2n.services.notify import email_of, link

    by_email = email_of(session, share.created_by) if share.created_by else None
    return tell(
        session,
        share.grantee_user_id,
        kind=SHARE_RECEIVED,
        workspace_id=share.workspace_id,
        title=f"{by_email or 'Someone'} shared {workflow_name} with you ({share.level.value})",
        data={
            "workflowId": str(share.workflow_id),
            "workflowName": workflow_name,
            "shareId": str(share.id),
            "level": share.level.value,
            "byEmail": by_email,
            "link": link(f"/workflows/{share.workflow_id}"),
        },
    )


def execution_ended(bind: Session | Connection, ended: NotifyEnded) -> list[OutboxMessage]:
    """The rules an ending run matches (one statement when there are none); an outbox message to
    announce its deliveries, if any. The engine may hold a bare connection: an ORM session joins
    its transaction only when some rule matched."""
    from sqlalchemy.orm import Session

    from a2n.db.repositories.notification_channels import NotificationRuleRepository

    if not isinstance(bind, Session):
        rules_found = NotificationRuleRepository.matching_ids(
            bind, ended.workspace_id, ended.workflow_id, _events(ended), ended.duration_ms / 1000
        )
        if not rules_found:
            return []
        with Session(bind=bind) as session:
            messages = execution_ended(session, ended)
            session.flush()
            session.expunge_all()
        return messages
    session = bind

    events = _events(ended)
    rules = NotificationRuleRepository(session).for_workflow(
        ended.workspace_id, ended.workflow_id, events, ended.duration_ms / 1000
    )
    if not rules:
        return []
    deliveries: list[uuid.UUID] = []
    for kind in events:
        matching = [r for r in rules if r.event == kind]
        if matching:
            event = _execution_event(session, ended, kind)
            deliveries += route(session, event, matching, execution_id=ended.execution_id)
    return [_announcement(session, ended.execution_id)] if deliveries else []


def _events(ended: NotifyEnded) -> list[str]:
    from a2n.engine.statuses import ExecutionStatus

    if ended.status == ExecutionStatus.CANCELLED.value:
        return [EXECUTION_SLOW]
    failed = ended.status in (ExecutionStatus.FAILED.value, ExecutionStatus.TIMED_OUT.value)
    return [EXECUTION_SLOW, EXECUTION_FAILED if failed else EXECUTION_SUCCEEDED]


def _execution_event(session: Session, ended: NotifyEnded, kind: str) -> Event:
    from a2n.db.models import Workflow
    from a2n.services.notify import link

    workflow = session.get(Workflow, ended.workflow_id)
    name = workflow.name if workflow is not None else "a workflow"
    what = {EXECUTION_FAILED: "failed", EXECUTION_SUCCEEDED: "succeeded"}.get(kind)
    seconds = round(ended.duration_ms / 1000, 1)
    title = f"{name}: run {what}" if what else f"{name}: run took {seconds} s"
    data = {
        "workflowId": str(ended.workflow_id),
        "workflowName": name,
        "executionId": str(ended.execution_id),
        "status": ended.status,
        "durationMs": ended.duration_ms,
        "link": link(f"/executions/{ended.execution_id}"),
    }
    return Event(kind, title, ended.workspace_id, data)


def _announcement(session: Session, execution_id: uuid.UUID) -> OutboxMessage:
    from a2n.execution.outbox import outbox_message
    from a2n.services.notification_delivery import OUTBOX_NODE

    message = outbox_message(execution_id, OUTBOX_NODE, QUEUE, 0)
    session.add(message)
    return message


def send_after_commit(delivery_ids: Sequence[uuid.UUID]) -> None:
    """Queue the deliveries (call after their commit). Never raises: what is not sent stays pending
    and the sweeper sends it again. Without a queue (tools, tests) they are attempted at once."""
    from a2n.settings import get_settings

    if not delivery_ids:
        return
    url = get_settings().queue_urls.get(QUEUE)
    if url is None:
        from a2n.services.notification_delivery import attempt_delivery

        for delivery_id in delivery_ids:
            attempt_delivery(delivery_id)
        return
    from a2n.adapters.sqs import QueuedMessage, send_messages
    from a2n.observability import get_logger

    batches = [delivery_ids[i : i + IDS_PER_MESSAGE] for i in range(0, len(delivery_ids), IDS_PER_MESSAGE)]
    messages = [QueuedMessage(uuid.uuid4().hex, _body(batch)) for batch in batches]
    if send_messages(url, messages):
        get_logger().warning("notification deliveries not queued; the sweeper sends them")


def ensure_sent_eventually(delivery_ids: Sequence[uuid.UUID], now: datetime) -> None:
    """Before the commit that writes deliveries: a sweep is sure to come for any not sent (without a
    queue they are attempted at once, in-process)."""
    from a2n.settings import get_settings

    if delivery_ids and get_settings().queue_urls.get(QUEUE):
        from a2n.execution.timers import SWEEP_MARGIN, ensure_sweep

        ensure_sweep(now + SWEEP_MARGIN)


def _body(delivery_ids: Sequence[uuid.UUID]) -> str:
    return json.dumps({"deliveryIds": [str(i) for i in delivery_ids]}, separators=(",", ":"))


def republish_stale(before: datetime, limit: int = 500) -> int:
    """The sweeper's duty: send again pending deliveries nobody tried since ``before``."""
    from a2n.db.repositories.notification_channels import NotificationDeliveryRepository
    from a2n.db.uow import UnitOfWork

    with UnitOfWork() as uow:
        stale = NotificationDeliveryRepository(uow.session).stale_pending(before, limit)
    send_after_commit(stale)
    return len(stale)


def warn_expiring_credentials(
    now: datetime, *, within: timedelta = timedelta(days=7), limit: int = 500
) -> int:
    """The daily sweep's duty: each credential expiring within 7 days is announced once to whoever
    created it (their inbox, and the channels of their ``credential.expiring`` rules)."""
    from a2n.db.repositories.notification_channels import claim_expiring_credentials
    from a2n.db.uow import UnitOfWork
    from a2n.services.notify import link

    with UnitOfWork() as uow:
        due = claim_expiring_credentials(uow.session, now, now + within, limit)
        deliveries: list[uuid.UUID] = []
        for row in due:
            if row.created_by is None:
                continue
            day = row.expires_at.date().isoformat()
            data = {
                "credentialId": str(row.id),
                "credentialName": row.name,
                "expiresAt": row.expires_at.isoformat(),
                "link": link(f"/credentials/{row.id}"),
            }
            deliveries += tell(
                uow.session,
                row.created_by,
                kind=CREDENTIAL_EXPIRING,
                title=f"Credential {row.name} expires on {day}",
                workspace_id=row.workspace_id,
                data=data,
            )
        ensure_sent_eventually(deliveries, now)
        uow.commit()
    send_after_commit(deliveries)
    return len(due)


def trigger_deactivated(session: Session, workflow: Workflow, reason: str) -> list[uuid.UUID]:
    """A workflow was deactivated because its trigger kept failing: its creator's inbox, and the
    rules about ``trigger.deactivated`` for it; the deliveries' ids, to send after commit."""
    from a2n.db.repositories.notification_channels import NotificationRuleRepository
    from a2n.services.notify import link, notify

    data = {
        "workflowId": str(workflow.id),
        "workflowName": workflow.name,
        "reason": reason[:300],
        "link": link(f"/workflows/{workflow.id}"),
    }
    event = Event(
        TRIGGER_DEACTIVATED, f"{workflow.name} was deactivated: {reason}"[:300], workflow.workspace_id, data
    )
    told = []
    if workflow.created_by is not None:
        notify(
            session,
            workflow.created_by,
            kind=event.kind,
            title=event.title,
            workspace_id=event.workspace_id,
            data=data,
        )
        told.append(workflow.created_by)
    rules = NotificationRuleRepository(session).for_workflow(
        workflow.workspace_id, workflow.id, [TRIGGER_DEACTIVATED]
    )
    return route(session, event, rules, inboxed=told)
