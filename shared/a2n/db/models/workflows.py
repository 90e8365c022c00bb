"""What runs: workflows, their saved versions, and the triggers that start them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, UniqueConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column

from a2n.db.base import Base, CreatedAtMixin, IdMixin, JsonObject, TimestampsMixin, text_enum
from a2n.db.enums import ShareLevel, TriggerType

# Full-text search over name, tags and description (`GET /workflows?q=`): an IMMUTABLE SQL function
# (migration 0009) so one GIN expression index serves it; 'simple' config: no stemming, any language.
SEARCH_DOCUMENT = "a2n_workflow_search_document"


class WorkflowFolder(IdMixin, TimestampsMixin, Base):
    """A folder of a workspace's workflows; folders nest (``parent_id``). A folder is deleted only
    when empty, so RESTRICT on the parent; archived workflows fall back to the root (SET NULL)."""

    __tablename__ = "workflow_folders"
    __table_args__ = (
        # Sibling names are unique, case-insensitively; the root level has no parent, so the
        # workspace id stands in for it (NULLs would never clash).
        Index(
            "uq_workflow_folders_sibling_name",
            "workspace_id",
            func.coalesce(text("parent_id"), text("workspace_id")),
            func.lower(text("name")),
            unique=True,
        ),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("workflow_folders.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str]
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Workflow(IdMixin, TimestampsMixin, Base):
    """``definition``/``version`` are the draft head (what editors see and save); ``published_*`` is
    what triggers and manual runs of the published version execute. Saving never touches the latter."""

    __tablename__ = "workflows"
    __table_args__ = (
        Index(None, "workspace_id", "created_at", "id"),
        Index("ix_workflows_tags", "tags", postgresql_using="gin"),
        Index(None, "folder_id"),
        Index(
            "ix_workflows_search",
            func.a2n_workflow_search_document(text("name"), text("description"), text("tags")),
            postgresql_using="gin",
        ),
        Index("ix_workflows_archived_at", "archived_at", postgresql_where=text("archived_at IS NOT NULL")),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    name: Mapped[str]
    description: Mapped[str | None]
    definition: Mapped[JsonObject]
    version: Mapped[int] = mapped_column(default=1, server_default=text("1"))
    is_active: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    tags: Mapped[list[str]] = mapped_column(default=list, server_default=text("'{}'::text[]"))
    # Denormalised counters, bumped when an execution ends, so lists need no aggregate query.
    execution_count: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    success_count: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    failure_count: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    last_executed_at: Mapped[datetime | None]
    archived_at: Mapped[datetime | None]
    folder_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("workflow_folders.id", ondelete="SET NULL")
    )
    category: Mapped[str | None]
    # What runs: a copy of the published version's definition (as stored: secrets masked), so the
    # start path reads one row as before. NULL only between a new row's insert and its first publish.
    published_version: Mapped[int | None]
    published_definition: Mapped[JsonObject | None]
    published_at: Mapped[datetime | None]
    published_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class WorkflowVersion(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "workflow_versions"
    __table_args__ = (UniqueConstraint("workflow_id", "version"),)

    workflow_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workflows.id", ondelete="CASCADE"))
    version: Mapped[int]
    definition: Mapped[JsonObject]
    change_note: Mapped[str | None]
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Webhook secrets this draft introduced, sealed ({nodeId: packed blob}), until it is published:
    # only then do they move onto the trigger rows, so editing a draft never changes what verifies.
    sealed_secrets: Mapped[JsonObject | None]


class WorkflowTrigger(IdMixin, TimestampsMixin, Base):
    __tablename__ = "workflow_triggers"
    __table_args__ = (UniqueConstraint("workflow_id", "node_id"), Index(None, "workspace_id"))

    workflow_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workflows.id", ondelete="CASCADE"))
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    node_id: Mapped[str]
    type: Mapped[TriggerType] = mapped_column(text_enum(TriggerType, "trigger_type"))
    config: Mapped[JsonObject] = mapped_column(default=dict, server_default=text("'{}'::jsonb"))
    webhook_token: Mapped[str | None] = mapped_column(unique=True)
    webhook_secret_encrypted: Mapped[bytes | None]
    # Rotation overlap: the previous secret still verifies until previous_valid_until.
    webhook_secret_previous_encrypted: Mapped[bytes | None]
    webhook_secret_previous_valid_until: Mapped[datetime | None]
    schedule_name: Mapped[str | None]
    schedule_arn: Mapped[str | None]
    schedule_expression: Mapped[str | None]
    timezone: Mapped[str | None]
    is_active: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    # Poll fires that failed in a row; A2N_POLL_FAILURES_TO_DEACTIVATE of them deactivate the workflow.
    consecutive_failures: Mapped[int] = mapped_column(default=0, server_default=text("0"))


class WorkflowShare(IdMixin, CreatedAtMixin, Base):
    """One workflow shared with one user (``grantee_user_id``) or, when that is NULL, with every
    member of the workflow's own workspace, at a level, optionally until ``expires_at``. The access
    check reads it on every request, so revoking (deleting the row) applies at the next one."""

    __tablename__ = "workflow_shares"
    __table_args__ = (
        UniqueConstraint("workflow_id", "grantee_user_id"),
        Index(
            "uq_workflow_shares_whole_workspace",
            "workflow_id",
            unique=True,
            postgresql_where=text("grantee_user_id IS NULL"),
        ),
        Index(None, "grantee_user_id"),
    )

    workflow_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workflows.id", ondelete="CASCADE"))
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    grantee_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    level: Mapped[ShareLevel] = mapped_column(text_enum(ShareLevel, "share_level"))
    expires_at: Mapped[datetime | None]
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
