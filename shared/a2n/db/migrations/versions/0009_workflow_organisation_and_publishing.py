"""Organising and publishing workflows (issue 13 items 1-2): nested folders, a category, full-text
search over name/tags/description, and draft vs published.

Existing workflows are published at their current version, so what runs today stays what runs; their
executions lose the foreign key to ``workflows`` because retention may now purge an archived workflow
while its executions are kept by their own retention.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# IMMUTABLE so a GIN expression index can serve `GET /workflows?q=`; array_to_string over text[] is
# immutable in fact (Postgres marks it STABLE only because of other element types). Weights rank a
# name match above a tag match above a description match.
_SEARCH_FUNCTION = """
CREATE FUNCTION a2n_workflow_search_document(name text, description text, tags text[])
RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT setweight(to_tsvector('simple'::regconfig, coalesce(name, '')), 'A')
        || setweight(to_tsvector('simple'::regconfig, coalesce(array_to_string(tags, ' '), '')), 'B')
        || setweight(to_tsvector('simple'::regconfig, coalesce(description, '')), 'C')
$$
"""


def upgrade() -> None:
    op.create_table(
        "workflow_folders",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("parent_id", sa.UUID(), nullable=True),
        sa.Column("name", sa.TEXT(), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_workflow_folders_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["workflow_folders.id"],
            name=op.f("fk_workflow_folders_parent_id_workflow_folders"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_workflow_folders_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_folders")),
    )
    op.create_index(op.f("ix_workflow_folders_parent_id"), "workflow_folders", ["parent_id"])
    op.create_index(
        "uq_workflow_folders_sibling_name",
        "workflow_folders",
        ["workspace_id", sa.text("coalesce(parent_id, workspace_id)"), sa.text("lower(name)")],
        unique=True,
    )

    op.add_column("workflows", sa.Column("folder_id", sa.UUID(), nullable=True))
    op.add_column("workflows", sa.Column("category", sa.TEXT(), nullable=True))
    op.add_column("workflows", sa.Column("published_version", sa.Integer(), nullable=True))
    op.add_column(
        "workflows", sa.Column("published_definition", postgresql.JSONB(astext_type=sa.Text()), nullable=True)
    )
    op.add_column("workflows", sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("workflows", sa.Column("published_by", sa.UUID(), nullable=True))
    op.create_foreign_key(
        op.f("fk_workflows_folder_id_workflow_folders"),
        "workflows",
        "workflow_folders",
        ["folder_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_foreign_key(
        op.f("fk_workflows_published_by_users"),
        "workflows",
        "users",
        ["published_by"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_index(op.f("ix_workflows_folder_id"), "workflows", ["folder_id"])
    op.create_index(
        "ix_workflows_archived_at",
        "workflows",
        ["archived_at"],
        postgresql_where=sa.text("archived_at IS NOT NULL"),
    )
    op.execute(_SEARCH_FUNCTION)
    op.create_index(
        "ix_workflows_search",
        "workflows",
        [sa.text("a2n_workflow_search_document(name, description, tags)")],
        postgresql_using="gin",
    )
    # What runs today stays what runs: every workflow is published at its current version.
    op.execute(
        "UPDATE workflows SET published_version = version, published_definition = definition,"
        " published_at = updated_at, published_by = created_by"
    )

    op.add_column(
        "workflow_versions",
        sa.Column("sealed_secrets", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )
    op.drop_constraint("fk_executions_workflow_id_workflows", "executions", type_="foreignkey")


def downgrade() -> None:
    # Executions of purged workflows have no workflow row left: they cannot be kept under the key.
    op.execute(
        "DELETE FROM executions e WHERE NOT EXISTS (SELECT 1 FROM workflows w WHERE w.id = e.workflow_id)"
    )
    op.create_foreign_key(
        "fk_executions_workflow_id_workflows",
        "executions",
        "workflows",
        ["workflow_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.drop_column("workflow_versions", "sealed_secrets")
    # The draft becomes what runs again, as before drafts existed.
    op.drop_index("ix_workflows_search", table_name="workflows")
    op.execute("DROP FUNCTION a2n_workflow_search_document(text, text, text[])")
    op.drop_index(
        "ix_workflows_archived_at",
        table_name="workflows",
        postgresql_where=sa.text("archived_at IS NOT NULL"),
    )
    op.drop_index(op.f("ix_workflows_folder_id"), table_name="workflows")
    op.drop_constraint(op.f("fk_workflows_published_by_users"), "workflows", type_="foreignkey")
    op.drop_constraint(op.f("fk_workflows_folder_id_workflow_folders"), "workflows", type_="foreignkey")
    for column in (
        "published_by",
        "published_at",
        "published_definition",
        "published_version",
        "category",
        "folder_id",
    ):
        op.drop_column("workflows", column)
    op.drop_index("uq_workflow_folders_sibling_name", table_name="workflow_folders")
    op.drop_index(op.f("ix_workflow_folders_parent_id"), table_name="workflow_folders")
    op.drop_table("workflow_folders")
