"""Executions that start or finish other executions: sub-workflow children and error workflows.

Both run inside the transaction of the step that causes them, so a child or an error run exists
exactly when the state change that asked for it is committed. Locks go child → parent only.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from a2n.db.base import utcnow
from a2n.db.enums import ExecutionMode
from a2n.engine.planner import ExecutionEnd, Outcome
from a2n.engine.statuses import ExecutionStatus, NodeStatus
from a2n.errors import A2NError
from a2n.observability import get_logger

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from a2n.db.models import OutboxMessage
    from a2n.db.repositories.executions import ExecutionRepository, LockedExecution
    from a2n.nodes.context import ChildRequest
    from a2n.services.runs import CompiledWorkflow

logger = get_logger()
MAX_SUB_WORKFLOW_DEPTH = 10


def start_child(
    session: Session, repo: ExecutionRepository, locked: LockedExecution, node_id: str, child: ChildRequest
) -> tuple[uuid.UUID, list[OutboxMessage]]:
    """Start the sub-workflow of `node_id` (same workspace); raises ChildRefused when it cannot."""
    from a2n.services.executions import StartRequest, start_execution

    if repo.ancestry_depth(locked.id) >= MAX_SUB_WORKFLOW_DEPTH:
        raise ChildRefused(f"sub-workflows nest deeper than {MAX_SUB_WORKFLOW_DEPTH} levels")
    _within_breadth(repo, locked)
    try:
        workflow_id = uuid.UUID(child.workflow_id)
    except ValueError:
        raise ChildRefused(f"'{child.workflow_id[:100]}' is not a workflow id") from None
    request = StartRequest(
        workflow_id=workflow_id, workspace_id=locked.workspace_id, mode=ExecutionMode.SUB,
        trigger_data=child.input, parent_execution_id=locked.id, parent_node_id=node_id,
    )  # fmt: skip
    try:
        started, messages = start_execution(session, request)
    except (A2NError, ValueError) as error:  # missing workflow, no trigger, broken definition
        raise ChildRefused(f"sub-workflow could not start: {error}") from None
    return started.execution_id, messages


def _within_breadth(repo: ExecutionRepository, locked: LockedExecution) -> None:
    """Depth alone lets a few self-calls per level multiply (3 per level at depth 3 made 40 runs):
    cap the executions below one root and the workspace's unended executions."""
    from a2n.settings import get_settings

    settings = get_settings()
    most = settings.sub_workflow_max_descendants
    if repo.lock_root_descendants(locked.id) >= most:
        raise ChildRefused(
            f"this run already started {most} sub-workflow executions (A2N_SUB_WORKFLOW_MAX_DESCENDANTS);"
            " call fewer sub-workflows per run, or raise the limit"
        )
    running = settings.workspace_max_running_executions
    if repo.count_unended(locked.workspace_id, running) >= running:
        raise ChildRefused(
            f"the workspace has {running} executions not yet ended (A2N_WORKSPACE_MAX_RUNNING_EXECUTIONS);"
            " retry when some have finished, or raise the limit"
        )


class ChildRefused(Exception):
    """The sub-workflow cannot start; the node fails with this message (not retryable)."""


def notify_parent(
    session: Session, repo: ExecutionRepository, child: LockedExecution, end: ExecutionEnd
) -> list[OutboxMessage]:
    """The child ended: its parent's waiting node succeeds with the child's output, or fails."""
    from a2n.services.runs import Completion, is_current, settle

    assert child.parent_execution_id is not None and child.parent_node_id is not None
    parent = repo.lock(child.parent_execution_id)
    if parent is None:
        return []
    stored = repo.node_states(parent.id)
    waiting = stored.get(child.parent_node_id)
    if waiting is None or waiting.child_execution_id != child.id:
        return []  # a later attempt started another child: this one's end is history
    if not is_current(stored, waiting.node_id, waiting.attempt, NodeStatus.WAITING):
        return []
    if end.status is ExecutionStatus.SUCCEEDED:
        outcome = Outcome.succeeded(waiting.node_id, end.output, attempt=waiting.attempt)
    else:
        error = {
            "message": f"sub-workflow {end.status.value.lower()}: {_message(end.error)}",
            "childExecutionId": str(child.id),
        }
        outcome = Outcome.failed(waiting.node_id, error, attempt=waiting.attempt)
    return settle(session, repo, parent, stored, outcome, completion=Completion(), now=utcnow())


def start_error_workflow(
    session: Session, locked: LockedExecution, compiled: CompiledWorkflow, end: ExecutionEnd
) -> tuple[uuid.UUID | None, list[OutboxMessage]]:
    """A failed or timed-out run starts `settings.errorWorkflowId` (never for an error run itself)."""
    from a2n.services.executions import StartRequest, start_execution

    target = compiled.settings.get("errorWorkflowId")
    failed = end.status in (ExecutionStatus.FAILED, ExecutionStatus.TIMED_OUT)
    if not target or not failed or locked.mode == ExecutionMode.ERROR.value:
        return None, []
    error = dict(end.error or {})
    trigger_data = {
        "execution": {
            "id": str(locked.id), "workflowId": str(locked.workflow_id), "status": end.status.value,
            "mode": locked.mode, "error": error, "failedNode": error.get("nodeId"),
        }
    }  # fmt: skip
    try:
        request = StartRequest(
            workflow_id=uuid.UUID(str(target)), workspace_id=locked.workspace_id,
            mode=ExecutionMode.ERROR, trigger_data=trigger_data,
        )  # fmt: skip
        started, messages = start_execution(session, request)
    except (A2NError, ValueError) as problem:  # deleted, another workspace's, or not a workflow id
        logger.warning("error workflow not started", extra={"execution_id": str(locked.id),
                                                             "reason": str(problem)})  # fmt: skip
        return None, []
    return started.execution_id, messages


def _message(error: Any) -> str:
    if isinstance(error, dict):
        return str(error.get("message", "failed"))
    return "failed"
