"""webhook_deliveries: the owner's delivery log of each webhook trigger (issue 9.20); and
webhook_receipts.execution_id loses its foreign key, so a provider's retry of a delivery whose
execution was deleted still gets that execution's id back (issue 9.18 dedupes on receipts).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 13:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("trigger_id", sa.UUID(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("method", sa.TEXT(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.TEXT(), nullable=False),
        sa.Column("detail", sa.TEXT(), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("execution_id", sa.UUID(), nullable=True),
        sa.Column("provider_delivery_id", sa.TEXT(), nullable=True),
        sa.ForeignKeyConstraint(
            ["trigger_id"],
            ["workflow_triggers.id"],
            name=op.f("fk_webhook_deliveries_trigger_id_workflow_triggers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
    )
    op.create_index(
        "ix_webhook_deliveries_trigger_id_received_at",
        "webhook_deliveries",
        ["trigger_id", sa.text("received_at DESC"), sa.text("id DESC")],
    )
    op.create_index(
        "ix_webhook_deliveries_unstarted",
        "webhook_deliveries",
        ["trigger_id", "received_at"],
        postgresql_where=sa.text("outcome <> 'accepted'"),
    )
    op.create_index(op.f("ix_webhook_deliveries_received_at"), "webhook_deliveries", ["received_at"])
    op.drop_constraint(
        op.f("fk_webhook_receipts_execution_id_executions"), "webhook_receipts", type_="foreignkey"
    )


def downgrade() -> None:
    # Receipts of deleted executions would break the restored constraint: clear them first.
    op.execute(
        "UPDATE webhook_receipts r SET execution_id = NULL"
        " WHERE execution_id IS NOT NULL"
        " AND NOT EXISTS (SELECT 1 FROM executions e WHERE e.id = r.execution_id)"
    )
    op.create_foreign_key(
        op.f("fk_webhook_receipts_execution_id_executions"),
        "webhook_receipts",
        "executions",
        ["execution_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.drop_index(op.f("ix_webhook_deliveries_received_at"), table_name="webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_unstarted", table_name="webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_trigger_id_received_at", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
