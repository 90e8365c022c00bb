"""Accounts and access (issue 12): verified addresses, profile, platform admins, TOTP, forced resets;
single-use account tokens, login sessions, recovery codes, linked identity-provider accounts,
security events, rate counters; workspace policies; API-key limits and usage.

Every live refresh-token family becomes a session row (its id is the family's), so sessions signed
in before this migration are listed and can be revoked like new ones.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SESSIONS_OF_LIVE_FAMILIES = """
INSERT INTO user_sessions (id, user_id, created_at, last_seen_at, method, two_factor)
SELECT family_id, user_id, min(created_at), max(created_at), 'password', false
FROM refresh_tokens
WHERE revoked_at IS NULL AND expires_at > now()
GROUP BY family_id, user_id
ON CONFLICT (id) DO NOTHING
"""


def _uuid(name: str, **kw: object) -> sa.Column[object]:
    return sa.Column(name, sa.UUID(), **kw)  # type: ignore[arg-type]


def _ts(name: str, *, nullable: bool = True, now: bool = False) -> sa.Column[object]:
    default = {"server_default": sa.text("now()")} if now else {}
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable, **default)  # type: ignore[arg-type]


def upgrade() -> None:
    false, zero = sa.text("false"), sa.text("0")
    for column in (
        _ts("email_verified_at"),
        sa.Column("locale", sa.Text(), nullable=True),
        sa.Column("timezone", sa.Text(), nullable=True),
        sa.Column("avatar_url", sa.Text(), nullable=True),
        sa.Column("is_platform_admin", sa.Boolean(), server_default=false, nullable=False),
        sa.Column("totp_secret_encrypted", sa.LargeBinary(), nullable=True),
        _ts("totp_enabled_at"),
        sa.Column("totp_last_step", sa.BigInteger(), nullable=True),
        sa.Column("password_reset_required", sa.Boolean(), server_default=false, nullable=False),
        _ts("password_changed_at"),
    ):
        op.add_column("users", column)
    op.add_column(
        "workspaces", sa.Column("require_verified_email", sa.Boolean(), server_default=false, nullable=False)
    )
    op.add_column(
        "workspaces", sa.Column("require_two_factor", sa.Boolean(), server_default=false, nullable=False)
    )
    for column in (
        sa.Column("rate_limit_per_minute", sa.Integer(), nullable=True),
        sa.Column(
            "allowed_cidrs",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("'{}'::text[]"),
            nullable=False,
        ),
        sa.Column("use_count", sa.BigInteger(), server_default=zero, nullable=False),
        _ts("window_start"),
        sa.Column("window_count", sa.Integer(), server_default=zero, nullable=False),
    ):
        op.add_column("api_keys", column)

    op.create_table(
        "account_tokens",
        _uuid("id", nullable=False),
        _uuid("user_id", nullable=True),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("token_hash", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column(
            "details",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        _ts("expires_at", nullable=False),
        _ts("used_at"),
        sa.Column("failures", sa.Integer(), server_default=sa.text("0"), nullable=False),
        _ts("created_at", nullable=False, now=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_account_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_account_tokens_token_hash")),
    )
    op.create_index(op.f("ix_account_tokens_user_id"), "account_tokens", ["user_id", "purpose"])
    op.create_index(op.f("ix_account_tokens_expires_at"), "account_tokens", ["expires_at"])

    op.create_table(
        "user_sessions",
        _uuid("id", nullable=False),
        _uuid("user_id", nullable=False),
        _ts("created_at", nullable=False, now=True),
        _ts("last_seen_at", nullable=False, now=True),
        sa.Column("ip", sa.Text(), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.Column("method", sa.Text(), server_default="password", nullable=False),
        sa.Column("two_factor", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        _ts("revoked_at"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_sessions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
    )
    op.create_index(op.f("ix_user_sessions_user_id"), "user_sessions", ["user_id", "created_at"])

    op.create_table(
        "recovery_codes",
        _uuid("id", nullable=False),
        _uuid("user_id", nullable=False),
        sa.Column("code_hash", sa.Text(), nullable=False),
        _ts("used_at"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_recovery_codes_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_codes")),
        sa.UniqueConstraint("user_id", "code_hash", name=op.f("uq_recovery_codes_user_id_code_hash")),
    )

    op.create_table(
        "user_identities",
        _uuid("id", nullable=False),
        _uuid("user_id", nullable=False),
        sa.Column("provider", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        _ts("created_at", nullable=False, now=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_identities_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_identities")),
        sa.UniqueConstraint("provider", "subject", name=op.f("uq_user_identities_provider_subject")),
    )
    op.create_index(op.f("ix_user_identities_user_id"), "user_identities", ["user_id"])

    op.create_table(
        "security_events",
        _uuid("id", nullable=False),
        _uuid("user_id", nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        _ts("created_at", nullable=False, now=True),
        sa.Column("ip", sa.Text(), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.Column(
            "details",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_security_events_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_events")),
    )
    op.create_index(
        "ix_security_events_user_id_created_at", "security_events", ["user_id", sa.text("created_at DESC")]
    )

    op.create_table(
        "rate_counters",
        sa.Column("key", sa.Text(), nullable=False),
        _ts("window_start", nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_counters")),
    )
    op.create_index(op.f("ix_rate_counters_window_start"), "rate_counters", ["window_start"])
    op.execute(_SESSIONS_OF_LIVE_FAMILIES)


def downgrade() -> None:
    for table in (
        "rate_counters",
        "security_events",
        "user_identities",
        "recovery_codes",
        "user_sessions",
        "account_tokens",
    ):
        op.drop_table(table)
    for column in ("window_count", "window_start", "use_count", "allowed_cidrs", "rate_limit_per_minute"):
        op.drop_column("api_keys", column)
    op.drop_column("workspaces", "require_two_factor")
    op.drop_column("workspaces", "require_verified_email")
    for column in (
        "password_changed_at",
        "password_reset_required",
        "totp_last_step",
        "totp_enabled_at",
        "totp_secret_encrypted",
        "is_platform_admin",
        "avatar_url",
        "timezone",
        "locale",
        "email_verified_at",
    ):
        op.drop_column("users", column)
