"""Comment rows: a workflow's threads or a thread's replies, oldest first with their reply counts;
the members an ``@email`` names; an author's recent mentions (the rate limit)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text, tuple_
from sqlalchemy.orm import aliased

from a2n.db.models import User, WorkflowComment, WorkspaceMember
from a2n.db.repositories.base import Keyset, WorkspaceScopedRepository


@dataclass(frozen=True)
class CommentRow:
    comment: WorkflowComment
    replies: int


class CommentRepository(WorkspaceScopedRepository[WorkflowComment]):
    model = WorkflowComment

    def get_in_workspace(
        self, workspace_id: uuid.UUID, entity_id: uuid.UUID, *, lock: bool = False
    ) -> WorkflowComment | None:
        query = select(WorkflowComment).where(
            WorkflowComment.id == entity_id, WorkflowComment.workspace_id == workspace_id
        )
        if lock:
            query = query.with_for_update()
        found: WorkflowComment | None = self.session.scalars(query).one_or_none()
        return found

    def page(  # type: ignore[override]
        self,
        workflow_id: uuid.UUID,
        *,
        parent_id: uuid.UUID | None,
        node_id: str | None,
        resolved: bool | None,
        limit: int,
        after: Keyset | None,
    ) -> tuple[list[CommentRow], bool]:
        reply = aliased(WorkflowComment)
        replies = (
            select(func.count())
            .where(reply.parent_id == WorkflowComment.id)
            .correlate(WorkflowComment)
            .scalar_subquery()
        )
        query: Any = select(WorkflowComment, replies).where(WorkflowComment.workflow_id == workflow_id)
        if parent_id is None:
            query = query.where(WorkflowComment.parent_id.is_(None))
        else:
            query = query.where(WorkflowComment.parent_id == parent_id)
        if node_id is not None:
            query = query.where(WorkflowComment.node_id == node_id)
        if resolved is not None:
            state = WorkflowComment.resolved_at
            query = query.where(state.is_not(None) if resolved else state.is_(None))
        if after is not None:
            query = query.where(
                tuple_(WorkflowComment.created_at, WorkflowComment.id) > tuple_(after.created_at, after.id)
            )
        order = (WorkflowComment.created_at.asc(), WorkflowComment.id.asc())
        rows = self.session.execute(query.order_by(*order).limit(limit + 1)).all()
        return [CommentRow(comment, int(count)) for comment, count in rows[:limit]], len(rows) > limit

    def reply_count(self, comment_id: uuid.UUID) -> int:
        return int(
            self.session.scalar(select(func.count()).where(WorkflowComment.parent_id == comment_id)) or 0
        )

    def members_by_email(self, workspace_id: uuid.UUID, emails: Sequence[str]) -> list[tuple[uuid.UUID, str]]:
        """(user id, email) of the members of the workspace among ``emails`` (lower-cased)."""
        if not emails:
            return []
        rows = self.session.execute(
            select(User.id, User.email)
            .join(WorkspaceMember, WorkspaceMember.user_id == User.id)
            .where(WorkspaceMember.workspace_id == workspace_id, func.lower(User.email).in_(list(emails)))
            .order_by(User.email)
        ).all()
        return [(row.id, row.email) for row in rows]

    def mentions_since(self, author_id: uuid.UUID, since: datetime) -> tuple[int, datetime | None]:
        """Mentions in the author's comments written or edited since ``since``, and the oldest such
        time (when the window frees up)."""
        row = self.session.execute(
            text(
                "SELECT coalesce(sum(cardinality(mentions)), 0), min(updated_at) FROM workflow_comments"
                " WHERE author_id = :a AND updated_at > :since AND cardinality(mentions) > 0"
            ),
            {"a": author_id, "since": since},
        ).one()
        return int(row[0]), row[1]
