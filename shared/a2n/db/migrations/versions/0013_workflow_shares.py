"""workflow_shares: one workflow shared with a user or with its whole workspace at view, run or
edit, optionally expiring (issue 13 item 3).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 16:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "workflow_shares",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("workflow_id", sa.UUID(), nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("grantee_user_id", sa.UUID(), nullable=True),
        sa.Column(
            "level",
            sa.Enum("view", "run", "edit", name="share_level", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_workflow_shares_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["grantee_user_id"],
            ["users.id"],
            name=op.f("fk_workflow_shares_grantee_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflows.id"],
            name=op.f("fk_workflow_shares_workflow_id_workflows"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_workflow_shares_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_shares")),
        sa.UniqueConstraint(
            "workflow_id", "grantee_user_id", name=op.f("uq_workflow_shares_workflow_id_grantee_user_id")
        ),
    )
    op.create_index(op.f("ix_workflow_shares_grantee_user_id"), "workflow_shares", ["grantee_user_id"])
    op.create_index(
        "uq_workflow_shares_whole_workspace",
        "workflow_shares",
        ["workflow_id"],
        unique=True,
        postgresql_where=sa.text("grantee_user_id IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_workflow_shares_whole_workspace", table_name="workflow_shares")
    op.drop_index(op.f("ix_workflow_shares_grantee_user_id"), table_name="workflow_shares")
    op.drop_table("workflow_shares")
