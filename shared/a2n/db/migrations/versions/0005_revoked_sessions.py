"""revoked_sessions: the deny-list that cuts off a signed-out session's access tokens at once
(issue 9.3); and API keys of people no longer members of their key's workspace are revoked, since
removing a member now revokes their keys there (issue 9.2) and keys left from earlier removals would
come back to life on a re-add.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 11:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEYS_OF_FORMER_MEMBERS = """
UPDATE api_keys k SET revoked_at = now()
WHERE k.revoked_at IS NULL
  AND NOT EXISTS (
    SELECT 1 FROM workspace_members m WHERE m.workspace_id = k.workspace_id AND m.user_id = k.user_id
  )
"""


def upgrade() -> None:
    op.create_table(
        "revoked_sessions",
        sa.Column("session_id", sa.UUID(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_revoked_sessions")),
    )
    op.create_index(op.f("ix_revoked_sessions_expires_at"), "revoked_sessions", ["expires_at"], unique=False)
    op.execute(_KEYS_OF_FORMER_MEMBERS)


def downgrade() -> None:
    # The revoked keys stay revoked: un-revoking a credential is never a safe default.
    op.drop_index(op.f("ix_revoked_sessions_expires_at"), table_name="revoked_sessions")
    op.drop_table("revoked_sessions")
