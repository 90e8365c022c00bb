"""Read use cases of executions: the filtered list, one execution with its nodes, its logs.

Each checks the caller's access first and reads only the caller's workspace, so another
workspace's execution is a 404 exactly like a missing one.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from a2n.auth.policy import Action
from a2n.db.enums import LogLevel
from a2n.errors import NotFound

T = TypeVar("T")

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from a2n.auth.principal import Principal
    from a2n.db.models import Execution, ExecutionLog, ExecutionNodeState
    from a2n.db.repositories.execution_queries import After, ExecutionFilter

# Severity order for ``?level=``: a level selects itself and everything more severe.
LEVEL_ORDER = (LogLevel.DEBUG, LogLevel.INFO, LogLevel.WARN, LogLevel.ERROR)


@dataclass(frozen=True)
class ExecutionDetail:
    execution: Execution
    nodes: Sequence[ExecutionNodeState]
    workflow_name: str = ""


class ExecutionList(list["Execution"]):
    """A page of executions and the names of their workflows (a list reads best without them)."""

    def __init__(self, rows: list[Execution], workflow_names: dict[uuid.UUID, str]) -> None:
        super().__init__(rows)
        self.workflow_names = workflow_names


def levels_at_or_above(level: LogLevel | None) -> tuple[LogLevel, ...]:
    """Empty (no filter) for None."""
    return () if level is None else LEVEL_ORDER[LEVEL_ORDER.index(level) :]


def execution_id_from_path(text: str) -> uuid.UUID:
    """A path id that is not a UUID names no execution: 404, like any unknown id."""
    try:
        return uuid.UUID(text)
    except ValueError:
        raise NotFound("Execution not found") from None


def list_executions(
    principal: Principal, where: ExecutionFilter, *, limit: int, after: After | None
) -> ExecutionList:
    """Up to ``limit + 1`` executions of the caller's workspace, newest first, with workflow names."""
    from a2n.db.repositories.execution_queries import ExecutionQueryRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.access import require

    with UnitOfWork() as uow:
        require(uow.session, principal, Action.EXECUTION_READ)
        repo = ExecutionQueryRepository(uow.session)
        rows = repo.list_page(uuid.UUID(principal.workspace_id), where, limit=limit, after=after)
        names = repo.workflow_names({row.workflow_id for row in rows})
        return ExecutionList(_detached(uow.session, rows), names)


def get_execution(principal: Principal, execution_id: uuid.UUID) -> ExecutionDetail:
    from a2n.db.repositories.execution_queries import ExecutionQueryRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.access import require

    with UnitOfWork() as uow:
        require(uow.session, principal, Action.EXECUTION_READ)
        repo = ExecutionQueryRepository(uow.session)
        execution = repo.require_in_workspace(uuid.UUID(principal.workspace_id), execution_id)
        nodes = repo.node_states(execution.id)
        name = repo.workflow_names({execution.workflow_id}).get(execution.workflow_id, "")
        _detached(uow.session, [execution])
        return ExecutionDetail(execution=execution, nodes=nodes, workflow_name=name)


def list_execution_logs(
    principal: Principal,
    execution_id: uuid.UUID,
    level: LogLevel | None,
    *,
    limit: int,
    after: After | None,
) -> list[ExecutionLog]:
    """Up to ``limit + 1`` log lines at ``level`` or above, oldest first."""
    from a2n.db.repositories.execution_queries import ExecutionQueryRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.access import require

    with UnitOfWork() as uow:
        require(uow.session, principal, Action.EXECUTION_READ)
        repo = ExecutionQueryRepository(uow.session)
        execution = repo.require_in_workspace(uuid.UUID(principal.workspace_id), execution_id)
        lines = repo.logs_page(execution.id, levels_at_or_above(level), limit=limit, after=after)
        return _detached(uow.session, lines)


def _detached(session: Session, rows: list[T]) -> list[T]:
    """Rows that outlive the unit of work: its closing rollback would expire attached ones."""
    session.expunge_all()
    return rows
