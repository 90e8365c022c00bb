"""Account lifecycle: single-use tokens, login sessions, two-factor recovery codes, linked identity
provider accounts, security events and rate counters (issue 12)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from a2n.db.base import Base, CreatedAtMixin, IdMixin, JsonObject, new_id, utcnow


class AccountToken(IdMixin, CreatedAtMixin, Base):
    """A single-use token sent by email or handed out for a second step (verify an address, reset a
    password, confirm a new address, finish a two-factor login, confirm linking an identity
    provider). Only its SHA-256 is stored; it expires, and using it stamps ``used_at`` under a row
    lock so it works once."""

    __tablename__ = "account_tokens"
    __table_args__ = (Index(None, "user_id", "purpose"), Index(None, "expires_at"))

    # None for a sign-in not tied to an account yet (an OpenID Connect ``state``).
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    purpose: Mapped[str]
    token_hash: Mapped[str] = mapped_column(unique=True)
    # The address a verification or email-change token vouches for.
    email: Mapped[str | None]
    # Purpose-specific plain facts (a login challenge's IP and user agent, a provider link's subject).
    details: Mapped[JsonObject] = mapped_column(default=dict, server_default=text("'{}'::jsonb"))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    # Wrong second-step codes against this token (a login challenge locks after a few).
    failures: Mapped[int] = mapped_column(default=0, server_default=text("0"))


class UserSession(Base):
    """One sign-in: the refresh-token family and every access token it issues share its id (``sid``)."""

    __tablename__ = "user_sessions"
    __table_args__ = (Index(None, "user_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=text("now()"))
    # Refreshed when its refresh token rotates (every access-token lifetime while in use).
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=text("now()"))
    ip: Mapped[str | None]
    user_agent: Mapped[str | None]
    method: Mapped[str] = mapped_column(default="password", server_default="password")
    two_factor: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    revoked_at: Mapped[datetime | None]


class RecoveryCode(IdMixin, Base):
    """One of a user's ten single-use two-factor recovery codes, stored as SHA-256."""

    __tablename__ = "recovery_codes"
    __table_args__ = (UniqueConstraint("user_id", "code_hash"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    code_hash: Mapped[str]
    used_at: Mapped[datetime | None]


class UserIdentity(IdMixin, CreatedAtMixin, Base):
    """A linked account at an OpenID Connect provider: (provider, subject) signs in as the user."""

    __tablename__ = "user_identities"
    __table_args__ = (UniqueConstraint("provider", "subject"), Index(None, "user_id"))

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    provider: Mapped[str]
    subject: Mapped[str]
    email: Mapped[str | None]


class SecurityEvent(IdMixin, Base):
    """A security-relevant event of one user's account, for that user's feed."""

    __tablename__ = "security_events"
    __table_args__ = (Index("ix_security_events_user_id_created_at", "user_id", text("created_at DESC")),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    type: Mapped[str]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=text("now()"))
    ip: Mapped[str | None]
    user_agent: Mapped[str | None]
    details: Mapped[JsonObject] = mapped_column(default=dict, server_default=text("'{}'::jsonb"))


class RateCounter(Base):
    """A fixed-window request counter per key (an address hash, an IP, a user's 2FA attempts)."""

    __tablename__ = "rate_counters"
    __table_args__ = (Index(None, "window_start"),)

    key: Mapped[str] = mapped_column(primary_key=True)
    window_start: Mapped[datetime]
    count: Mapped[int]
