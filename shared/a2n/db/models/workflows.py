"""What runs: workflows, their saved versions, and the triggers that start them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from a2n.db.base import Base, CreatedAtMixin, IdMixin, JsonObject, TimestampsMixin, text_enum
from a2n.db.enums import TriggerType


class Workflow(IdMixin, TimestampsMixin, Base):
    __tablename__ = "workflows"
    __table_args__ = (
        Index(None, "workspace_id", "created_at", "id"),
        Index("ix_workflows_tags", "tags", postgresql_using="gin"),
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


class WorkflowVersion(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "workflow_versions"
    __table_args__ = (UniqueConstraint("workflow_id", "version"),)

    workflow_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workflows.id", ondelete="CASCADE"))
    version: Mapped[int]
    definition: Mapped[JsonObject]
    change_note: Mapped[str | None]
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


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
