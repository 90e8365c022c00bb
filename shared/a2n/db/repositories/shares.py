"""Workflow shares: the caller's standing toward one workflow (membership and best live share, in
one statement), the shares of a workflow, and the workflows shared with a user."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, text, tuple_

from a2n.db.enums import ShareLevel, WorkspaceRole
from a2n.db.models import WorkflowShare
from a2n.db.repositories.base import Keyset, WorkspaceScopedRepository

# A share is live while it has not expired; the best one wins (edit > run > view). The workspace-wide
# share (no grantee) counts only for members of the workflow's workspace.
_STANDING = text("""
SELECT w.workspace_id, m.role,
       (SELECT s.level FROM workflow_shares s
         WHERE s.workflow_id = w.id
           AND (s.expires_at IS NULL OR s.expires_at > now())
           AND (s.grantee_user_id = :u OR (s.grantee_user_id IS NULL AND m.role IS NOT NULL))
         ORDER BY CASE s.level WHEN 'edit' THEN 3 WHEN 'run' THEN 2 ELSE 1 END DESC
         LIMIT 1) AS share
FROM workflows w
LEFT JOIN workspace_members m ON m.workspace_id = w.workspace_id AND m.user_id = :u
WHERE w.id = :w AND w.archived_at IS NULL
""")

_SHARED_WITH = text("""
SELECT s.id AS share_id, s.level, s.expires_at, s.created_at, s.workflow_id, w.name, w.description,
       w.workspace_id, ws.name AS workspace_name, sharer.email AS shared_by,
       EXISTS (SELECT 1 FROM workspace_members m WHERE m.workspace_id = w.workspace_id AND m.user_id = :u)
           AS member
FROM workflow_shares s
JOIN workflows w ON w.id = s.workflow_id AND w.archived_at IS NULL
JOIN workspaces ws ON ws.id = w.workspace_id
LEFT JOIN users sharer ON sharer.id = s.created_by
WHERE s.grantee_user_id = :u AND (s.expires_at IS NULL OR s.expires_at > now())
  AND (CAST(:after_at AS timestamptz) IS NULL
       OR (s.created_at, s.id) < (CAST(:after_at AS timestamptz), CAST(:after_id AS uuid)))
ORDER BY s.created_at DESC, s.id DESC
LIMIT :limit
""")


@dataclass(frozen=True)
class Standing:
    workspace_id: uuid.UUID
    role: WorkspaceRole | None
    share: ShareLevel | None


@dataclass(frozen=True)
class SharedWorkflow:
    """A row of the shared-with-me list."""

    share_id: uuid.UUID
    level: ShareLevel
    expires_at: datetime | None
    created_at: datetime
    workflow_id: uuid.UUID
    name: str
    description: str | None
    workspace_id: uuid.UUID
    workspace_name: str
    shared_by: str | None
    member: bool


@dataclass(frozen=True)
class ShareRow:
    """A share with its grantee's email (None for the whole workspace)."""

    share: WorkflowShare
    grantee_email: str | None


class ShareRepository(WorkspaceScopedRepository[WorkflowShare]):
    model = WorkflowShare

    def standing(self, workflow_id: uuid.UUID, user_id: uuid.UUID) -> Standing | None:
        """None when no live workflow has this id."""
        row = self.session.execute(_STANDING, {"w": workflow_id, "u": user_id}).one_or_none()
        if row is None:
            return None
        role = WorkspaceRole(row.role) if row.role is not None else None
        return Standing(row.workspace_id, role, ShareLevel(row.share) if row.share is not None else None)

    def of_grantee(self, workflow_id: uuid.UUID, grantee: uuid.UUID | None) -> WorkflowShare | None:
        column = WorkflowShare.grantee_user_id
        who = column.is_(None) if grantee is None else column == grantee
        found: WorkflowShare | None = self.session.scalars(
            select(WorkflowShare).where(WorkflowShare.workflow_id == workflow_id, who)
        ).one_or_none()
        return found

    def drop_expired(self, workflow_id: uuid.UUID, grantee: uuid.UUID | None, now: datetime) -> None:
        """An expired share no longer grants anything; it gives way to a new one for the same grantee."""
        column = WorkflowShare.grantee_user_id
        who = column.is_(None) if grantee is None else column == grantee
        self.session.execute(
            delete(WorkflowShare).where(
                WorkflowShare.workflow_id == workflow_id, who, WorkflowShare.expires_at <= now
            ),
            execution_options={"synchronize_session": False},
        )

    def of_workflow(
        self, workflow_id: uuid.UUID, *, limit: int, after: Keyset | None
    ) -> tuple[list[ShareRow], bool]:
        """Newest first, expired ones included (they show their expiry); one extra row for "more"."""
        from a2n.db.models import User

        query: Any = (
            select(WorkflowShare, User.email)
            .outerjoin(User, User.id == WorkflowShare.grantee_user_id)
            .where(WorkflowShare.workflow_id == workflow_id)
        )
        if after is not None:
            query = query.where(
                tuple_(WorkflowShare.created_at, WorkflowShare.id) < tuple_(after.created_at, after.id)
            )
        rows = self.session.execute(
            query.order_by(WorkflowShare.created_at.desc(), WorkflowShare.id.desc()).limit(limit + 1)
        ).all()
        return [ShareRow(share, email) for share, email in rows[:limit]], len(rows) > limit

    def shared_with(
        self, user_id: uuid.UUID, *, limit: int, after: Keyset | None
    ) -> tuple[list[SharedWorkflow], bool]:
        rows = self.session.execute(
            _SHARED_WITH,
            {
                "u": user_id,
                "after_at": after.created_at if after else None,
                "after_id": after.id if after else None,
                "limit": limit + 1,
            },
        ).all()
        found = [
            SharedWorkflow(
                r.share_id,
                ShareLevel(r.level),
                r.expires_at,
                r.created_at,
                r.workflow_id,
                r.name,
                r.description,
                r.workspace_id,
                r.workspace_name,
                r.shared_by,
                r.member,
            )
            for r in rows[:limit]
        ]
        return found, len(rows) > limit
