"""Resume tokens are stored hashed only (issue 9.9): a resume-mode wait used to show its token as the
waiting node's output, in plain text. The outputs holding one are cleared (a waiting node shows
``{"waitingForResume": true}``); the hash stays, so whoever copied a token can still resume with it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        UPDATE execution_node_states
        SET output = CASE WHEN status = 'WAITING' THEN '{"waitingForResume": true}'::jsonb ELSE NULL END
        WHERE status IN ('WAITING', 'CANCELLED')  -- a resumed or timed-out wait has a new output
          AND jsonb_typeof(output) = 'object' AND output ? 'resumeToken'
          AND (SELECT count(*) FROM jsonb_object_keys(output)) = 1  -- exactly {"resumeToken": ...}
        """
    )


def downgrade() -> None:
    """Nothing to restore: the tokens are gone for good, which is the point."""
