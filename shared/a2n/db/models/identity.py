"""Who acts: users, their refresh tokens and API keys, workspaces and memberships."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, UniqueConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column

from a2n.db.base import Base, CreatedAtMixin, IdMixin, JsonObject, TimestampsMixin, text_enum
from a2n.db.enums import WorkspaceRole


class User(IdMixin, TimestampsMixin, Base):
    __tablename__ = "users"
    # Uniqueness is on lower(email) (index below): Foo@x.com and foo@x.com are one account.
    __table_args__ = (Index("uq_users_email_lower", func.lower(text("email")), unique=True),)

    email: Mapped[str]
    password_hash: Mapped[str]
    name: Mapped[str | None]
    # The workspace created at registration: where a request without X-Workspace-Id acts and where
    # the user's own logins are audited. RESTRICT: it cannot be deleted while the user exists, and
    # unique: it is nobody else's personal workspace.
    personal_workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspaces.id", ondelete="RESTRICT"), unique=True
    )
    is_active: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    failed_logins: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    # When the address was proved by its emailed link (or by a reset link, or a provider's verified
    # email); None: unverified (may sign in; a workspace may refuse it runs and API keys).
    email_verified_at: Mapped[datetime | None]
    # Profile: BCP 47 locale, IANA timezone (the default of new schedules), an avatar image URL.
    locale: Mapped[str | None]
    timezone: Mapped[str | None]
    avatar_url: Mapped[str | None]
    # Operator-designated (``a2n admin grant EMAIL``): may list, deactivate and reactivate users and
    # force password resets; reviews marketplace packages and verifies publishers (issue 14).
    is_platform_admin: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    # TOTP secret sealed with the credential envelope (purpose "totp", bound to the user); set and
    # not enabled while an enrolment waits for its first code. The last time step accepted, so a
    # code works once.
    totp_secret_encrypted: Mapped[bytes | None]
    totp_enabled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    # Set by a platform admin's forced reset: the password no longer signs in until reset by email.
    password_reset_required: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    password_changed_at: Mapped[datetime | None]


class RefreshToken(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "refresh_tokens"
    __table_args__ = (Index(None, "user_id"), Index(None, "family_id"))

    token_hash: Mapped[str] = mapped_column(unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # All tokens issued from one login share a family; reuse of a spent one revokes the family.
    family_id: Mapped[uuid.UUID]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    replaced_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("refresh_tokens.id", ondelete="SET NULL")
    )


class RevokedSession(Base):
    """The deny-list of signed-out sessions: a login session (refresh-token family, the access
    token's ``sid``) listed here has its access tokens refused at once. A row is needed only until
    the last access token issued before the revocation has expired (``expires_at``); the sweeper
    drops it then. Keyed by session id, so "revoke one session" and "sign out everywhere" (one row per
    live session) both write here."""

    __tablename__ = "revoked_sessions"
    __table_args__ = (Index(None, "expires_at"),)

    session_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    revoked_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class Workspace(IdMixin, TimestampsMixin, Base):
    __tablename__ = "workspaces"

    name: Mapped[str]
    slug: Mapped[str] = mapped_column(unique=True)
    plan: Mapped[str] = mapped_column(default="free", server_default="free")
    # {max_workflows, max_executions_per_month, ...}; absent key = no limit.
    limits: Mapped[JsonObject] = mapped_column(default=dict, server_default=text("'{}'::jsonb"))
    # Policies set by its ADMINs: members must have verified their address before running workflows
    # or creating API keys; members must sign in with a second factor to act here at all.
    require_verified_email: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    require_two_factor: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    # Whether members who only view a workflow (VIEWER role, or a view share) may comment on it.
    viewers_may_comment: Mapped[bool] = mapped_column(default=True, server_default=text("true"))


class WorkspaceStartBucket(Base):
    """The token bucket that rate-limits a workspace's execution starts (manual, retry, webhook,
    schedule, poll). One row per workspace, taken from in the start's own transaction by one upsert
    (`StartBucketRepository.take`), so Lambda containers share it and concurrent starts queue on it."""

    __tablename__ = "workspace_start_buckets"

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    tokens: Mapped[float]  # left after the last take, as of refilled_at
    refilled_at: Mapped[datetime]
    granted: Mapped[int]  # what the last take granted: lets the upsert report it in the same statement


class WorkspaceMember(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "workspace_members"
    __table_args__ = (UniqueConstraint("workspace_id", "user_id"), Index(None, "user_id"))

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[WorkspaceRole] = mapped_column(text_enum(WorkspaceRole, "workspace_role"))


class ApiKey(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "api_keys"
    __table_args__ = (Index(None, "workspace_id"), Index(None, "user_id"))

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str]
    prefix: Mapped[str]
    key_hash: Mapped[str] = mapped_column(unique=True)
    scopes: Mapped[list[str]] = mapped_column(default=list, server_default=text("'{}'::text[]"))
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    # Limits the authorizer enforces in the statement that finds the key: requests per minute (None:
    # unlimited) in a fixed window (window_start, window_count), and the CIDRs it may be used from
    # (empty: anywhere). use_count counts every request that presented the live key, refused_count
    # those of them its own limits (rate, allow-list) refused.
    rate_limit_per_minute: Mapped[int | None]
    allowed_cidrs: Mapped[list[str]] = mapped_column(default=list, server_default=text("'{}'::text[]"))
    use_count: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    refused_count: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    window_start: Mapped[datetime | None]
    window_count: Mapped[int] = mapped_column(default=0, server_default=text("0"))


class LoginThrottle(Base):
    """Failed logins for an email that has no account, keyed by the SHA-256 of the lower-cased
    address: unknown emails lock out exactly like accounts do, so a 429 reveals nothing (SECURITY 20)."""

    __tablename__ = "login_throttles"
    __table_args__ = (Index(None, "updated_at"),)

    email_hash: Mapped[str] = mapped_column(primary_key=True)
    failed_logins: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    locked_until: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
