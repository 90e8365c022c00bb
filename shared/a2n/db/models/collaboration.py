"""Collaboration records around workflows: comment threads (with node anchors and mentions) and
the notifications people receive."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from a2n.db.base import Base, CreatedAtMixin, IdMixin, JsonObject, TimestampsMixin, utcnow


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


class WorkflowTemplate(IdMixin, TimestampsMixin, Base):
    """A template published from a workflow: in its workspace's gallery, and in everyone's once a
    platform admin approves it for the public gallery. The definition is the published version's,
    without credentials (``required_credentials`` says which types each node needs) or secrets."""

    __tablename__ = "workflow_templates"
    __table_args__ = (
        Index(None, "workspace_id", "created_at", "id"),
        Index(
            "ix_workflow_templates_public", "created_at", postgresql_where=text("public_status = 'approved'")
        ),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    source_workflow_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("workflows.id", ondelete="SET NULL")
    )
    name: Mapped[str]
    description: Mapped[str]
    category: Mapped[str]
    definition: Mapped[JsonObject]
    # [{nodeId, type}]: a credential of ``type`` to pick for node ``nodeId`` after instantiating.
    required_credentials: Mapped[list[JsonObject]] = mapped_column(
        JSONB, default=list, server_default=text("'[]'::jsonb")
    )
    node_types: Mapped[list[str]] = mapped_column(default=list, server_default=text("'{}'::text[]"))
    # None: this workspace's gallery only; pending → approved | rejected: the public gallery.
    public_status: Mapped[str | None]
    reviewed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None]


class TemplateStats(Base):
    """Usage and ratings of a gallery template, built-in (keyed by its slug) or published (its id)."""

    __tablename__ = "template_stats"

    template_key: Mapped[str] = mapped_column(primary_key=True)
    usage_count: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    rating_count: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    rating_sum: Mapped[int] = mapped_column(default=0, server_default=text("0"))


class TemplateRating(Base):
    """One rating (1-5) per user and template; a new one replaces theirs."""

    __tablename__ = "template_ratings"
    __table_args__ = (CheckConstraint("stars BETWEEN 1 AND 5", name="stars_range"),)

    template_key: Mapped[str] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    stars: Mapped[int]
    rated_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=text("now()"))


class CredentialShare(IdMixin, CreatedAtMixin, Base):
    """A credential shared with one member (``grantee_user_id``) or, when NULL, the whole workspace,
    to *use* in workflows (attach it, run with it) — never to read or change it. Optionally expiring."""

    __tablename__ = "credential_shares"
    __table_args__ = (
        UniqueConstraint("credential_id", "grantee_user_id"),
        Index(
            "uq_credential_shares_whole_workspace",
            "credential_id",
            unique=True,
            postgresql_where=text("grantee_user_id IS NULL"),
        ),
        Index(None, "grantee_user_id"),
    )

    credential_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("credentials.id", ondelete="CASCADE"))
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    grantee_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime | None]
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class CredentialAttachment(Base):
    """Who attached a credential to a workflow. A run may use the credential while that person still
    may (owner, workspace ADMIN, a live share) — so unsharing or an expiry takes it from their
    workflows, and the step checks it in the statement that loads the credential."""

    __tablename__ = "credential_attachments"

    workflow_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workflows.id", ondelete="CASCADE"), primary_key=True
    )
    credential_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("credentials.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    attached_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    attached_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=text("now()"))


class CredentialUsage(IdMixin, Base):
    """One use of a credential: a step (or a poll) that loaded it to run. Written by the same
    statement that loads it, so logging costs the step no round trip."""

    __tablename__ = "credential_usage"
    __table_args__ = (Index(None, "credential_id", "used_at", "id"), Index(None, "used_at"))

    credential_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("credentials.id", ondelete="CASCADE"))
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    workflow_id: Mapped[uuid.UUID | None]
    # No foreign key: retention deletes executions on its own schedule; the use stays counted.
    execution_id: Mapped[uuid.UUID | None]
    node_id: Mapped[str]
    attempt: Mapped[int | None]
    used_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=text("now()"))
