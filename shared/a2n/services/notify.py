"""Telling people that something happened: a notification in their inbox, written in the same
transaction as what it is about. It carries ids, names and links only — never a secret, a node's
output or a comment's text — because it may travel on to other systems (README "Notifications").
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from a2n.db.models import Workflow, WorkflowComment, WorkflowShare

MENTION = "comment.mention"
SHARE_RECEIVED = "share.received"


def link(path: str) -> str:
    from a2n.settings import get_settings

    return get_settings().public_base_url.rstrip("/") + path


def notify(
    session: Session,
    user_id: uuid.UUID,
    *,
    kind: str,
    title: str,
    workspace_id: uuid.UUID | None,
    data: dict[str, Any],
) -> uuid.UUID:
    """One inbox item for ``user_id``; the caller's transaction commits it."""
    from a2n.db.models import Notification

    item = Notification(user_id=user_id, workspace_id=workspace_id, kind=kind, title=title[:300], data=data)
    session.add(item)
    session.flush()
    return item.id


def mentioned_in_comment(
    session: Session, comment: WorkflowComment, workflow: Workflow, user_id: uuid.UUID, by: uuid.UUID
) -> None:
    by_email = _email(session, by)
    notify(
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


def share_received(session: Session, share: WorkflowShare, workflow_name: str) -> None:
    if share.grantee_user_id is None:
        return
    by_email = _email(session, share.created_by) if share.created_by else None
    notify(
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


def _email(session: Session, user_id: uuid.UUID | None) -> str | None:
    from a2n.db.repositories.identity import UserRepository

    if user_id is None:
        return None
    return UserRepository(session).emails({user_id}).get(user_id)
