"""Credential sharing and usage (issue 13 item 6): shares (use only, to a member or the whole
workspace, optionally expiring), who attached a credential to a workflow, and the usage log.

Everything that worked keeps working: each existing credential is shared with its whole workspace,
and every credential a workflow (any version) references is attached by the workflow's creator.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 19:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SHARE_EXISTING = """
INSERT INTO credential_shares (id, credential_id, workspace_id, grantee_user_id, created_by, created_at)
SELECT gen_random_uuid(), c.id, c.workspace_id, NULL, c.created_by, now() FROM credentials c
"""

# Every credentialId any node of any version names (node lists only where they are arrays).
_ATTACH_EXISTING = """
WITH docs AS (
    SELECT w.id AS workflow_id, w.workspace_id, w.created_by, w.definition AS doc FROM workflows w
    UNION ALL
    SELECT w.id, w.workspace_id, w.created_by, w.published_definition FROM workflows w
    WHERE w.published_definition IS NOT NULL
    UNION ALL
    SELECT w.id, w.workspace_id, w.created_by, v.definition
    FROM workflows w JOIN workflow_versions v ON v.workflow_id = w.id
), refs AS (
    SELECT d.workflow_id, d.workspace_id, d.created_by, n ->> 'credentialId' AS ref
    FROM docs d,
         jsonb_array_elements(CASE WHEN jsonb_typeof(d.doc -> 'nodes') = 'array' THEN d.doc -> 'nodes'
                                   ELSE '[]'::jsonb END) n
)
INSERT INTO credential_attachments (workflow_id, credential_id, attached_by, attached_at)
SELECT DISTINCT r.workflow_id, c.id, r.created_by, now()
FROM refs r JOIN credentials c ON c.workspace_id = r.workspace_id AND c.id::text = r.ref
ON CONFLICT DO NOTHING
"""


def upgrade() -> None:
    op.create_table(
        "credential_shares",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("credential_id", sa.UUID(), nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("grantee_user_id", sa.UUID(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_credential_shares_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_credential_shares_credential_id_credentials"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["grantee_user_id"],
            ["users.id"],
            name=op.f("fk_credential_shares_grantee_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_credential_shares_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential_shares")),
        sa.UniqueConstraint(
            "credential_id",
            "grantee_user_id",
            name=op.f("uq_credential_shares_credential_id_grantee_user_id"),
        ),
    )
    op.create_index(op.f("ix_credential_shares_grantee_user_id"), "credential_shares", ["grantee_user_id"])
    op.create_index(
        "uq_credential_shares_whole_workspace",
        "credential_shares",
        ["credential_id"],
        unique=True,
        postgresql_where=sa.text("grantee_user_id IS NULL"),
    )
    op.create_table(
        "credential_attachments",
        sa.Column("workflow_id", sa.UUID(), nullable=False),
        sa.Column("credential_id", sa.UUID(), nullable=False),
        sa.Column("attached_by", sa.UUID(), nullable=True),
        sa.Column("attached_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["attached_by"],
            ["users.id"],
            name=op.f("fk_credential_attachments_attached_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_credential_attachments_credential_id_credentials"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflows.id"],
            name=op.f("fk_credential_attachments_workflow_id_workflows"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workflow_id", "credential_id", name=op.f("pk_credential_attachments")),
    )
    op.create_index(
        op.f("ix_credential_attachments_credential_id"), "credential_attachments", ["credential_id"]
    )
    op.create_table(
        "credential_usage",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("credential_id", sa.UUID(), nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("workflow_id", sa.UUID(), nullable=True),
        sa.Column("execution_id", sa.UUID(), nullable=True),
        sa.Column("node_id", sa.TEXT(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=True),
        sa.Column("used_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_credential_usage_credential_id_credentials"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_credential_usage_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential_usage")),
    )
    op.create_index(
        op.f("ix_credential_usage_credential_id"), "credential_usage", ["credential_id", "used_at", "id"]
    )
    op.create_index(op.f("ix_credential_usage_used_at"), "credential_usage", ["used_at"])
    op.execute(_SHARE_EXISTING)
    op.execute(_ATTACH_EXISTING)


def downgrade() -> None:
    op.drop_index(op.f("ix_credential_usage_used_at"), table_name="credential_usage")
    op.drop_index(op.f("ix_credential_usage_credential_id"), table_name="credential_usage")
    op.drop_table("credential_usage")
    op.drop_index(op.f("ix_credential_attachments_credential_id"), table_name="credential_attachments")
    op.drop_table("credential_attachments")
    op.drop_index("uq_credential_shares_whole_workspace", table_name="credential_shares")
    op.drop_index(op.f("ix_credential_shares_grantee_user_id"), table_name="credential_shares")
    op.drop_table("credential_shares")
