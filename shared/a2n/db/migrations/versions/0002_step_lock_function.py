"""a2n_lock_execution(id): a step's completion reads its execution under the row lock and every
node state in one round trip (§11: one statement fewer per node step).

A single SQL statement could not do it: its snapshot is taken before it waits for the lock, so the
node states it read could predate the sibling completion it waited for. In a VOLATILE PL/pgSQL
function each statement takes a fresh snapshot (READ COMMITTED), so the states are read after the
lock is held, exactly as two separate statements would read them.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 06:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
CREATE FUNCTION a2n_lock_execution(p_execution_id uuid)
RETURNS TABLE (
    id uuid, status text, workflow_id uuid, workflow_version integer, workspace_id uuid, mode text,
    started_at timestamptz, trigger_data jsonb, parent_execution_id uuid, parent_node_id text,
    node_states text
)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    locked executions%ROWTYPE;
BEGIN
    SELECT * INTO locked FROM executions e WHERE e.id = p_execution_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    -- A new statement, so a new snapshot: every state committed before the lock was granted.
    RETURN QUERY SELECT
        locked.id, locked.status::text, locked.workflow_id, locked.workflow_version::integer,
        locked.workspace_id, locked.mode::text, locked.started_at, locked.trigger_data,
        locked.parent_execution_id, locked.parent_node_id::text,
        (SELECT json_agg(json_build_array(s.node_id, s.node_type, s.status, s.attempt, s.input,
                                          s.output, s.handles, s.error, s.resume_token_hash,
                                          s.child_execution_id))::text
         FROM execution_node_states s WHERE s.execution_id = p_execution_id);
END
$$
""")


def downgrade() -> None:
    op.execute("DROP FUNCTION a2n_lock_execution(uuid)")
