"""Supporting records: credentials, audit trail, webhook receipts and delivery log,
poll dedupe."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from a2n.db.base import Base, IdMixin, JsonObject, TimestampsMixin, new_id, text_enum, utcnow
from a2n.db.enums import ActorType


class Credential(IdMixin, TimestampsMixin, Base):
    __tablename__ = "credentials"
    # The unique index leads with workspace_id, so it also serves "credentials of a workspace".
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    name: Mapped[str]
    type: Mapped[str]
    # AES-256-GCM (nonce + ciphertext + tag) of the JSON data; AAD = id + workspace id.
    encrypted_data: Mapped[bytes]
    data_key_ciphertext: Mapped[bytes]
    key_id: Mapped[str]
    key_version: Mapped[int] = mapped_column(default=1, server_default=text("1"))
    expires_at: Mapped[datetime | None]
    # When its owner was told it expires within 7 days (cleared when the expiry changes).
    expiry_warned_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    is_active: Mapped[bool] = mapped_column(default=True, server_default=text("true"))


class AuditLog(Base):
    __tablename__ = "audit_logs"
    __table_args__ = (
        Index("ix_audit_logs_workspace_id_ts", "workspace_id", text("ts DESC")),
        Index(None, "entity_type", "entity_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    # SET NULL, not CASCADE: the trail of account-level actions outlives a deleted workspace.
    workspace_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("workspaces.id", ondelete="SET NULL"))
    actor_type: Mapped[ActorType] = mapped_column(text_enum(ActorType, "actor_type"))
    actor_id: Mapped[uuid.UUID | None]
    actor_email: Mapped[str | None]
    action: Mapped[str]
    entity_type: Mapped[str]
    entity_id: Mapped[str | None]
    changes: Mapped[JsonObject | None]
    ip: Mapped[str | None]
    user_agent: Mapped[str | None]
    ts: Mapped[datetime] = mapped_column(default=utcnow, server_default=text("now()"))


class WebhookReceipt(Base):
    """One row per key a delivery must not repeat, unique per trigger: the signature of an accepted
    signed delivery (a replay hits the constraint) and, for providers that send one, the delivery's
    own id (``delivery:<preset>:<id>``: a provider's retry finds the first delivery's execution)."""

    __tablename__ = "webhook_receipts"
    __table_args__ = (UniqueConstraint("trigger_id", "replay_id"), Index(None, "received_at"))

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    trigger_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workflow_triggers.id", ondelete="CASCADE"))
    replay_id: Mapped[str]
    # No foreign key: a retry of a delivery whose execution was deleted still gets that id back.
    execution_id: Mapped[uuid.UUID | None]
    received_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=text("now()"))


class WebhookDeliveryRecord(Base):
    """The owner's delivery log: one row per delivery to a webhook trigger, accepted or refused,
    with why. Never the body, headers or secrets. Refused and duplicate rows are capped per trigger
    per minute (see DeliveryLogRepository.add_within_cap); kept 7 days by retention."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_trigger_id_received_at", "trigger_id", text("received_at DESC"),
              text("id DESC")),
        # The cap counts recent rows that started nothing: this index holds only those.
        Index("ix_webhook_deliveries_unstarted", "trigger_id", "received_at",
              postgresql_where=text("outcome <> 'accepted'")),
        Index(None, "received_at"),
    )  # fmt: skip

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    trigger_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workflow_triggers.id", ondelete="CASCADE"))
    received_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=text("now()"))
    method: Mapped[str]
    status: Mapped[int]
    outcome: Mapped[str]  # a2n.services.delivery_log.Outcome; text, so new reasons need no migration
    detail: Mapped[str | None]
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    execution_id: Mapped[uuid.UUID | None]  # no foreign key: the log outlives nothing it must block
    provider_delivery_id: Mapped[str | None]


class PollSeenItem(Base):
    """Items a polling trigger has already started an execution for."""

    __tablename__ = "poll_seen_items"
    __table_args__ = (UniqueConstraint("trigger_id", "item_key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    trigger_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workflow_triggers.id", ondelete="CASCADE"))
    item_key: Mapped[str]
    seen_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=text("now()"))
