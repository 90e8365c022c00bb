"""Collaboration records around workflows: comment threads (with node anchors and mentions) and
the notifications people receive."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from a2n.db.base import Base, IdMixin, JsonObject, TimestampsMixin, utcnow


class WorkflowComment(IdMixin, TimestampsMixin, Base):
    """A comment on a workflow, optionally anchored to one node; a reply names its thread's first
    comment (``parent_id``; threads are one level deep). A deleted comment that has replies stays as
    a tombstone (``body`` NULL) so its thread keeps its shape."""

    __tablename__ = "workflow_comments"
    __table_args__ = (
        Index(None, "workflow_id", "created_at", "id"),
        Index(None, "parent_id"),
        # The mention rate limit sums an author's recent mentions.
        Index(None, "author_id", "updated_at"),
    )

    workflow_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workflows.id", ondelete="CASCADE"))
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("workflow_comments.id", ondelete="CASCADE")
    )
    node_id: Mapped[str | None]
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str | None]
    # Members the body mentions (@email), resolved when written.
    mentions: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(UUID(as_uuid=True)), default=list, server_default=text("'{}'::uuid[]")
    )
    edited_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    deleted_at: Mapped[datetime | None]


class Notification(IdMixin, Base):
    """One item of a user's inbox. ``data`` holds only ids, names and links (never a secret, a node's
    output or a comment's text): notifications travel to other systems."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index(None, "user_id", "created_at", "id"),
        Index("ix_notifications_unread", "user_id", postgresql_where=text("read_at IS NULL")),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    workspace_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    kind: Mapped[str]
    title: Mapped[str]
    data: Mapped[JsonObject] = mapped_column(default=dict, server_default=text("'{}'::jsonb"))
    read_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=text("now()"))
