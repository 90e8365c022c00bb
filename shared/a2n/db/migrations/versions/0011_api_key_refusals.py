"""API keys count the requests their own limits refuse (issue 12 item 9): ``refused_count``.

A request over a key's rate or from outside its allow-list now counts in ``use_count`` and
``last_used_at`` like any other, and in ``refused_count`` too: a key hammered from an unknown network
shows in its owner's list instead of leaving no trace.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 16:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "api_keys", sa.Column("refused_count", sa.BigInteger(), server_default=sa.text("0"), nullable=False)
    )


def downgrade() -> None:
    op.drop_column("api_keys", "refused_count")
