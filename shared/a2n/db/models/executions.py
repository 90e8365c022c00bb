"""What happened: executions, the state of each node in them, their logs, and the step outbox."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from a2n.db.base import Base, IdMixin, JsonObject, TimestampsMixin, new_id, text_enum, utcnow
from a2n.db.enums import ExecutionMode, ExecutionStatus, LogLevel, NodeStatus

_ACTIVE = "status IN ('QUEUED', 'RUNNING', 'WAITING')"


class Execution(IdMixin, TimestampsMixin, Base):
    __tablename__ = "executions"
    __table_args__ = (
        # Same key + same workflow = same execution (API Idempotency-Key); NULL keys never clash.
        UniqueConstraint("workflow_id", "idempotency_key"),
        # A schedule fire delivered twice starts one execution.
        UniqueConstraint("trigger_id", "scheduled_time"),
        Index("ix_executions_workflow_id_started_at", "workflow_id", text("started_at DESC")),
        Index("ix_executions_workspace_id_started_at", "workspace_id", text("started_at DESC")),
        Index("ix_executions_active_status", "status", "deadline_at", postgresql_where=text(_ACTIVE)),
        Index(None, "parent_execution_id"),
        # Retention deletes by end time; active executions (no end yet) stay out of the index.
        Index("ix_executions_ended_at", "ended_at", postgresql_where=text("ended_at IS NOT NULL")),
    )

    # No foreign key: an execution outlives its workflow when retention purges an archived workflow;
    # executions follow their own retention (docs/collaboration.md "Organising workflows").
    workflow_id: Mapped[uuid.UUID]
    workflow_version: Mapped[int]
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    status: Mapped[ExecutionStatus] = mapped_column(text_enum(ExecutionStatus, "execution_status"))
    mode: Mapped[ExecutionMode] = mapped_column(text_enum(ExecutionMode, "execution_mode"))
    trigger_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("workflow_triggers.id", ondelete="SET NULL")
    )
    scheduled_time: Mapped[datetime | None]
    trigger_data: Mapped[JsonObject | None]
    output: Mapped[JsonObject | None]
    error: Mapped[JsonObject | None]
    started_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=text("now()"))
    ended_at: Mapped[datetime | None]
    duration_ms: Mapped[int | None] = mapped_column(BigInteger)
    deadline_at: Mapped[datetime | None]
    parent_execution_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("executions.id", ondelete="SET NULL")
    )
    parent_node_id: Mapped[str | None]
    retry_of: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("executions.id", ondelete="SET NULL"))
    error_workflow_execution_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("executions.id", ondelete="SET NULL")
    )
    idempotency_key: Mapped[str | None]
    # Hash of the request body: same key with a different body is a 409, not a replay.
    request_hash: Mapped[str | None]
    # Set by respond_webhook; a sync webhook waits for it.
    webhook_response: Mapped[JsonObject | None]


class ExecutionNodeState(IdMixin, TimestampsMixin, Base):
    __tablename__ = "execution_node_states"
    # The unique index leads with execution_id, so it also serves "all nodes of an execution".
    __table_args__ = (
        UniqueConstraint("execution_id", "node_id"),
        Index("ix_node_states_lease", "lease_until", postgresql_where=text("status = 'RUNNING'")),
        Index(
            "ix_node_states_retry_due",
            "next_attempt_at",
            postgresql_where=text("status = 'QUEUED' AND next_attempt_at IS NOT NULL"),
        ),
        Index("ix_node_states_wait_due", "wait_until", postgresql_where=text("status = 'WAITING'")),
    )

    execution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("executions.id", ondelete="CASCADE"))
    node_id: Mapped[str]
    node_type: Mapped[str]
    status: Mapped[NodeStatus] = mapped_column(text_enum(NodeStatus, "node_status"))
    attempt: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    input: Mapped[JsonObject | None]
    output: Mapped[JsonObject | None]
    error: Mapped[JsonObject | None]
    queued_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    lease_until: Mapped[datetime | None]
    next_attempt_at: Mapped[datetime | None]
    resume_token_hash: Mapped[str | None]
    wait_until: Mapped[datetime | None]
    child_execution_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("executions.id", ondelete="SET NULL")
    )
    # Output handles a SUCCEEDED node took (condition/switch/errorOutput): the planner's dead edges.
    handles: Mapped[list[str] | None]


class ExecutionLog(Base):
    __tablename__ = "execution_logs"
    # (execution_id, ts) reads one execution's log; (ts) lets retention find old lines of all of them.
    __table_args__ = (Index(None, "execution_id", "ts"), Index(None, "ts"))

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    execution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("executions.id", ondelete="CASCADE"))
    node_id: Mapped[str | None]
    level: Mapped[LogLevel] = mapped_column(text_enum(LogLevel, "log_level"))
    message: Mapped[str]
    # "metadata" is reserved on declarative classes; the column keeps the design's name.
    meta: Mapped[JsonObject | None] = mapped_column("metadata")
    ts: Mapped[datetime] = mapped_column(default=utcnow, server_default=text("now()"))


class OutboxMessage(Base):
    """A step message written in the same transaction as the state change, published after commit."""

    __tablename__ = "outbox"
    __table_args__ = (Index(None, "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    execution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("executions.id", ondelete="CASCADE"))
    node_id: Mapped[str]
    attempt: Mapped[int]
    queue: Mapped[str]
    delay_s: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=text("now()"))
