"""users.personal_workspace_id: the personal workspace becomes an explicit fact instead of "the oldest
workspace the user belongs to", which a shared workspace older than it could take over (issue 9.1).

Backfill, per user, in order: the workspace its ``user.register`` audit entry names (the one created
at registration) if the user still owns it; else the oldest workspace it owns that is nobody else's
personal one; else a new workspace it owns, so that no account is left without a default.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FROM_REGISTRATION = """
UPDATE users u SET personal_workspace_id = first.workspace_id
FROM (
    SELECT DISTINCT ON (a.entity_id) a.entity_id, a.workspace_id
    FROM audit_logs a
    WHERE a.action = 'user.register' AND a.entity_type = 'user' AND a.workspace_id IS NOT NULL
    ORDER BY a.entity_id, a.ts
) AS first
WHERE first.entity_id = u.id::text
  AND EXISTS (
    SELECT 1 FROM workspace_members m
    WHERE m.workspace_id = first.workspace_id AND m.user_id = u.id AND m.role = 'OWNER'
  )
"""

# One user at a time: a set-based UPDATE could hand one co-owned workspace to two users.
_OLDEST_OWNED = """
UPDATE users u SET personal_workspace_id = (
    SELECT w.id FROM workspaces w
    JOIN workspace_members m ON m.workspace_id = w.id
    WHERE m.user_id = u.id AND m.role = 'OWNER'
      AND NOT EXISTS (SELECT 1 FROM users o WHERE o.personal_workspace_id = w.id)
    ORDER BY w.created_at, w.id
    LIMIT 1
)
WHERE u.id = :user_id
"""

_NEW_WORKSPACE = """
WITH created AS (
    INSERT INTO workspaces (id, name, slug, plan, limits, created_at, updated_at)
    SELECT gen_random_uuid(), coalesce(u.name, u.email) || '''s workspace',
           'personal-' || replace(u.id::text, '-', ''), 'free', '{}'::jsonb, now(), now()
    FROM users u WHERE u.id = :user_id
    RETURNING id
), member AS (
    INSERT INTO workspace_members (id, workspace_id, user_id, role, created_at)
    SELECT gen_random_uuid(), created.id, :user_id, 'OWNER', now() FROM created
)
UPDATE users SET personal_workspace_id = (SELECT id FROM created) WHERE id = :user_id
"""


def upgrade() -> None:
    op.add_column("users", sa.Column("personal_workspace_id", sa.UUID(), nullable=True))
    bind = op.get_bind()
    bind.execute(sa.text(_FROM_REGISTRATION))
    pending = "SELECT id FROM users WHERE personal_workspace_id IS NULL ORDER BY created_at, id"
    for (user_id,) in bind.execute(sa.text(pending)).fetchall():
        bind.execute(sa.text(_OLDEST_OWNED), {"user_id": user_id})
    for (user_id,) in bind.execute(sa.text(pending)).fetchall():
        bind.execute(sa.text(_NEW_WORKSPACE), {"user_id": user_id})
    op.alter_column("users", "personal_workspace_id", nullable=False)
    op.create_unique_constraint(op.f("uq_users_personal_workspace_id"), "users", ["personal_workspace_id"])
    op.create_foreign_key(
        op.f("fk_users_personal_workspace_id_workspaces"),
        "users",
        "workspaces",
        ["personal_workspace_id"],
        ["id"],
        ondelete="RESTRICT",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("fk_users_personal_workspace_id_workspaces"), "users", type_="foreignkey")
    op.drop_constraint(op.f("uq_users_personal_workspace_id"), "users", type_="unique")
    op.drop_column("users", "personal_workspace_id")
