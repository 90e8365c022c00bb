"""The template gallery (issue 13 item 5): templates published from workflows (workspace gallery,
public after a platform admin's approval), usage counts and 1-5 ratings for them and the built-ins.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 18:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "workflow_templates",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("source_workflow_id", sa.UUID(), nullable=True),
        sa.Column("name", sa.TEXT(), nullable=False),
        sa.Column("description", sa.TEXT(), nullable=False),
        sa.Column("category", sa.TEXT(), nullable=False),
        sa.Column("definition", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "required_credentials",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "node_types", postgresql.ARRAY(sa.TEXT()), server_default=sa.text("'{}'::text[]"), nullable=False
        ),
        sa.Column("public_status", sa.TEXT(), nullable=True),
        sa.Column("reviewed_by", sa.UUID(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_workflow_templates_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by"],
            ["users.id"],
            name=op.f("fk_workflow_templates_reviewed_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["source_workflow_id"],
            ["workflows.id"],
            name=op.f("fk_workflow_templates_source_workflow_id_workflows"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_workflow_templates_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_templates")),
    )
    op.create_index(
        op.f("ix_workflow_templates_workspace_id"), "workflow_templates", ["workspace_id", "created_at", "id"]
    )
    op.create_index(
        "ix_workflow_templates_public",
        "workflow_templates",
        ["created_at"],
        postgresql_where=sa.text("public_status = 'approved'"),
    )
    op.create_table(
        "template_stats",
        sa.Column("template_key", sa.TEXT(), nullable=False),
        sa.Column("usage_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("rating_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("rating_sum", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("template_key", name=op.f("pk_template_stats")),
    )
    op.create_table(
        "template_ratings",
        sa.Column("template_key", sa.TEXT(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=False),
        sa.Column("rated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("stars BETWEEN 1 AND 5", name=op.f("ck_template_ratings_stars_range")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_template_ratings_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("template_key", "user_id", name=op.f("pk_template_ratings")),
    )


def downgrade() -> None:
    op.drop_table("template_ratings")
    op.drop_table("template_stats")
    op.drop_index("ix_workflow_templates_public", table_name="workflow_templates")
    op.drop_index(op.f("ix_workflow_templates_workspace_id"), table_name="workflow_templates")
    op.drop_table("workflow_templates")
