"""Where notifications go beyond the inbox: delivery channels (email, Slack, signed webhook), the
rules that say which events reach which channels, and the per-channel delivery log."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from a2n.db.base import Base, IdMixin, JsonObject, TimestampsMixin, utcnow


class NotificationChannel(IdMixin, TimestampsMixin, Base):
    """A person's own channel (``user_id`` set) or the workspace's (managed by its ADMINs). The
    Slack URL and the webhook URL with its signing secret are sealed in ``secret`` (a Slack incoming
    webhook URL is itself a credential); ``target`` is what may be shown: an address or a host."""

    __tablename__ = "notification_channels"
    __table_args__ = (
        CheckConstraint("kind IN ('email', 'slack', 'webhook')", name="kind"),
        Index(None, "workspace_id", "user_id"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str]
    name: Mapped[str]
    target: Mapped[str]
    secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    enabled: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    # Deliveries that failed in a row (every retry spent); reaching the limit disables the channel.
    consecutive_failures: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    disabled_reason: Mapped[str | None]
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class NotificationRule(IdMixin, Base):
    """Which event, for which workflow or folder (or all of the workspace), goes to which channels.
    A person's rule (``user_id`` set) also puts the event in their inbox; a workspace rule only
    delivers to channels."""

    __tablename__ = "notification_rules"
    __table_args__ = (Index(None, "workspace_id", "event"), Index(None, "user_id", "event"))

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    event: Mapped[str]
    workflow_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("workflows.id", ondelete="CASCADE"))
    folder_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("workflow_folders.id", ondelete="CASCADE"))
    # execution.slow: runs that took longer than this many seconds.
    threshold_s: Mapped[int | None]
    channel_ids: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(UUID(as_uuid=True)), default=list, server_default=text("'{}'::uuid[]")
    )
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=text("now()"))


class NotificationDelivery(IdMixin, Base):
    """One event for one channel, and how its delivery went: the channel's delivery log. Written
    ``pending`` with the event, so nothing decided is lost if the queue is unreachable (the sweeper
    sends pending ones again); ``payload`` holds ids, names and links only."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="status"),
        Index(None, "channel_id", "created_at", "id"),
        Index(
            "ix_notification_deliveries_pending", "created_at", postgresql_where=text("status = 'pending'")
        ),
    )

    channel_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("notification_channels.id", ondelete="CASCADE"))
    # The run it is about, if any: an ending run's deliveries are sent by one outbox message.
    execution_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    event: Mapped[str]
    payload: Mapped[JsonObject]
    status: Mapped[str] = mapped_column(default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    response_status: Mapped[int | None]
    last_error: Mapped[str | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=text("now()"))
    attempted_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
