"""Read side of executions for the API: filtered keyset lists, one execution's nodes and logs,
and deleting a finished execution. Every query takes the workspace it is scoped to.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, tuple_

from a2n.db.enums import ExecutionStatus, LogLevel
from a2n.db.models import Execution, ExecutionLog, ExecutionNodeState, Workflow
from a2n.db.repositories.base import WorkspaceScopedRepository


@dataclass(frozen=True)
class ExecutionFilter:
    workflow_id: uuid.UUID | None = None
    statuses: tuple[ExecutionStatus, ...] = ()
    since: datetime | None = None  # started_at >= since
    until: datetime | None = None  # started_at < until


@dataclass(frozen=True)
class After:
    """Keyset position: the (sort key, id) of the last row of the previous page."""

    key: datetime
    id: uuid.UUID


class ExecutionQueryRepository(WorkspaceScopedRepository[Execution]):
    model = Execution

    def list_page(
        self, workspace_id: uuid.UUID, where: ExecutionFilter, *, limit: int, after: After | None
    ) -> list[Execution]:
        """Newest first by (started_at, id); ``limit + 1`` rows so the caller knows if more exist."""
        query = select(Execution).where(Execution.workspace_id == workspace_id)
        if where.workflow_id is not None:
            query = query.where(Execution.workflow_id == where.workflow_id)
        if where.statuses:
            query = query.where(Execution.status.in_(where.statuses))
        if where.since is not None:
            query = query.where(Execution.started_at >= where.since)
        if where.until is not None:
            query = query.where(Execution.started_at < where.until)
        if after is not None:
            query = query.where(tuple_(Execution.started_at, Execution.id) < tuple_(after.key, after.id))
        query = query.order_by(Execution.started_at.desc(), Execution.id.desc()).limit(limit + 1)
        return list(self.session.scalars(query))

    def workflow_names(self, workflow_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
        """The names of these workflows (archived ones too: their executions stay readable)."""
        if not workflow_ids:
            return {}
        rows = self.session.execute(select(Workflow.id, Workflow.name).where(Workflow.id.in_(workflow_ids)))
        return {workflow_id: name for workflow_id, name in rows}

    def node_states(self, execution_id: uuid.UUID) -> Sequence[ExecutionNodeState]:
        """In the order they ran; nodes that never started last, by id."""
        started = func.coalesce(ExecutionNodeState.started_at, ExecutionNodeState.queued_at)
        query = (
            select(ExecutionNodeState)
            .where(ExecutionNodeState.execution_id == execution_id)
            .order_by(started.asc().nulls_last(), ExecutionNodeState.node_id)
        )
        return self.session.scalars(query).all()

    def logs_page(
        self,
        execution_id: uuid.UUID,
        levels: Sequence[LogLevel],
        *,
        limit: int,
        after: After | None,
    ) -> list[ExecutionLog]:
        """Oldest first by (ts, id), as a log reads; ``limit + 1`` rows."""
        query = select(ExecutionLog).where(ExecutionLog.execution_id == execution_id)
        if levels:
            query = query.where(ExecutionLog.level.in_(levels))
        if after is not None:
            query = query.where(tuple_(ExecutionLog.ts, ExecutionLog.id) > tuple_(after.key, after.id))
        query = query.order_by(ExecutionLog.ts.asc(), ExecutionLog.id.asc()).limit(limit + 1)
        return list(self.session.scalars(query))

    def lock_in_workspace(self, workspace_id: uuid.UUID, execution_id: uuid.UUID) -> Execution | None:
        """The execution row locked for this transaction, so a step cannot revive it mid-delete."""
        query = (
            select(Execution)
            .where(Execution.id == execution_id, Execution.workspace_id == workspace_id)
            .with_for_update()
        )
        return self.session.scalars(query).one_or_none()

    def delete_by_id(self, execution_id: uuid.UUID) -> None:
        """Nodes, logs and outbox rows go with it (ON DELETE CASCADE)."""
        self.session.execute(delete(Execution).where(Execution.id == execution_id))
