"""Executions that start or finish other executions (sub-workflow children, parents, error workflows),
and the public way to start one: `start_execution` = write the start + carry out its follow-ups.

Follow-ups run inside the transaction of the state change that asked for them, so a child, a
parent's settled node or an error run exists exactly when that change is committed. Locks go
child → parent (→ root) only.
"""

from __future__ import annotations

import uuid
from collections import deque
from typing import TYPE_CHECKING, Any

from a2n.db.enums import ExecutionMode
from a2n.db.repositories.executions import ExecutionRepository
from a2n.db.uow import UnitOfWork
from a2n.engine.planner import ExecutionEnd, Outcome
from a2n.engine.statuses import ExecutionStatus, NodeStatus
from a2n.errors import A2NError, NotFound
from a2n.execution import clock, timers
from a2n.execution.outbox import publish_outbox
from a2n.execution.rows import (
    Completion,
    Effects,
    FollowUp,
    NotifyEnded,
    NotifyParent,
    StartChild,
    StartErrorWorkflow,
    log_row,
)
from a2n.execution.settle import is_current, settle
from a2n.execution.start import StartedExecution, StartRequest, write_start
from a2n.observability import get_logger
from a2n.settings import get_settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.orm import Session

    from a2n.db.models import OutboxMessage

logger = get_logger()
MAX_SUB_WORKFLOW_DEPTH = 10


def start_execution(
    session: Session | Connection, request: StartRequest
) -> tuple[StartedExecution, list[OutboxMessage]]:
    """Inside the caller's transaction; the caller commits, then calls publish_outbox(messages)."""
    started, effects = write_start(session, request)
    return started, carry_out(ExecutionRepository(session), effects)


def start_and_publish(request: StartRequest) -> StartedExecution:
    """Own unit of work: start, commit, publish."""
    with UnitOfWork() as uow:
        started, messages = start_execution(uow.session, request)
        uow.commit()
    publish_outbox(messages)
    return started


def carry_out(repo: ExecutionRepository, effects: Effects) -> list[OutboxMessage]:
    """Perform `effects`' follow-ups (and theirs, in order) in the current transaction; every outbox
    message to publish after commit. Before that commit, a sweep is sure to come (timers)."""
    messages = list(effects.messages)
    pending: deque[FollowUp] = deque(effects.follow_ups)
    while pending:
        more = _perform(repo, pending.popleft())
        messages += more.messages
        pending.extend(more.follow_ups)
    if messages:  # work in flight: the sweeper must come by, even if this Lambda dies after commit
        timers.ensure_sweep(clock.now() + timers.SWEEP_MARGIN)
    return messages


def _perform(repo: ExecutionRepository, follow_up: FollowUp) -> Effects:
    if isinstance(follow_up, NotifyParent):
        return notify_parent(repo, follow_up)
    if isinstance(follow_up, StartErrorWorkflow):
        return start_error_workflow(repo, follow_up)
    if isinstance(follow_up, NotifyEnded):
        from a2n.services.notification_routing import execution_ended

        return Effects(execution_ended(repo.session, follow_up))
    raise TypeError(f"{type(follow_up).__name__} is carried out by its caller (see start_child)")


def start_child(repo: ExecutionRepository, follow_up: StartChild) -> tuple[uuid.UUID, Effects]:
    """Start the sub-workflow of a node (same workspace); raises ChildRefused when it cannot. The
    child's own follow-ups (it may end at once) come back for the caller to carry out after the
    parent's node is recorded as waiting for it."""
    _within_bounds(repo, follow_up)
    child = follow_up.request
    try:
        workflow_id = uuid.UUID(child.workflow_id)
    except ValueError:
        raise ChildRefused(f"'{child.workflow_id[:100]}' is not a workflow id") from None
    request = StartRequest(
        workflow_id=workflow_id, workspace_id=follow_up.workspace_id, mode=ExecutionMode.SUB,
        trigger_data=child.input, parent_execution_id=follow_up.parent_id, parent_node_id=follow_up.node_id,
    )  # fmt: skip
    try:
        started, effects = write_start(repo.session, request)
    except (A2NError, ValueError) as error:  # missing workflow, no trigger, broken definition
        raise ChildRefused(f"sub-workflow could not start: {error}") from None
    return started.execution_id, effects


def _within_bounds(repo: ExecutionRepository, follow_up: StartChild) -> None:
    """Depth, and breadth: depth alone lets a few self-calls per level multiply (3 per level at depth
    3 made 40 runs), so the executions below one root and the workspace's unended ones are capped."""
    settings = get_settings()
    depth, below = repo.lock_root(follow_up.parent_id)
    if depth >= MAX_SUB_WORKFLOW_DEPTH:
        raise ChildRefused(f"sub-workflows nest deeper than {MAX_SUB_WORKFLOW_DEPTH} levels")
    most = settings.sub_workflow_max_descendants
    if below >= most:
        raise ChildRefused(
            f"this run already started {most} sub-workflow executions (A2N_SUB_WORKFLOW_MAX_DESCENDANTS);"
            " call fewer sub-workflows per run, or raise the limit"
        )
    running = settings.workspace_max_running_executions
    if repo.count_unended(follow_up.workspace_id, running) >= running:
        raise ChildRefused(
            f"the workspace has {running} executions not yet ended (A2N_WORKSPACE_MAX_RUNNING_EXECUTIONS);"
            " retry when some have finished, or raise the limit"
        )


class ChildRefused(Exception):
    """The sub-workflow cannot start; the node fails with this message (not retryable)."""


def notify_parent(repo: ExecutionRepository, follow_up: NotifyParent) -> Effects:
    """The child ended: its parent's waiting node succeeds with the child's output, or fails."""
    parent = repo.lock(follow_up.parent_id)
    if parent is None:
        return Effects()
    stored = repo.node_states(parent.id)
    waiting = stored.get(follow_up.parent_node_id)
    if waiting is None or waiting.child_execution_id != follow_up.child_id:
        return Effects()  # a later attempt started another child: this one's end is history
    if not is_current(stored, waiting.node_id, waiting.attempt, NodeStatus.WAITING):
        return Effects()
    end = follow_up.end
    if end.status is ExecutionStatus.SUCCEEDED:
        outcome = Outcome.succeeded(waiting.node_id, end.output, attempt=waiting.attempt)
    else:
        error = {
            "message": f"sub-workflow {end.status.value.lower()}: {_message(end)}",
            "childExecutionId": str(follow_up.child_id),
        }
        outcome = Outcome.failed(waiting.node_id, error, attempt=waiting.attempt)
    return settle(repo, parent, stored, outcome, completion=Completion(), now=clock.now())


def start_error_workflow(repo: ExecutionRepository, follow_up: StartErrorWorkflow) -> Effects:
    """A failed or timed-out run starts `settings.errorWorkflowId` (at its trigger.error) and records
    which run that is; when it cannot start, the failed run's log says why."""
    try:
        request = StartRequest(
            workflow_id=uuid.UUID(follow_up.error_workflow_id), workspace_id=follow_up.workspace_id,
            mode=ExecutionMode.ERROR, trigger_data=error_trigger_data(repo, follow_up),
        )  # fmt: skip
        started, effects = write_start(repo.session, request)
    except (A2NError, ValueError) as problem:  # deleted, another workspace's, or not a workflow id
        reason = f"error workflow {follow_up.error_workflow_id[:100]} did not start: {_reason(problem)}"
        logger.warning("error workflow not started", extra={"execution_id": str(follow_up.execution_id),
                                                             "reason": reason})  # fmt: skip
        repo.insert_logs([log_row(follow_up.execution_id, None, "ERROR", reason,
                                  {"errorWorkflowId": follow_up.error_workflow_id[:100]})])  # fmt: skip
        return Effects()
    repo.link_error_execution(follow_up.execution_id, started.execution_id)
    return effects


def error_trigger_data(repo: ExecutionRepository, follow_up: StartErrorWorkflow) -> dict[str, Any]:
    """The trigger.error node's output (its output schema, `a2n.nodes.trigger_error`, documents it)."""
    error = dict(follow_up.end.error or {})
    return {
        "execution": {
            "id": str(follow_up.execution_id), "workflowId": str(follow_up.workflow_id),
            "status": follow_up.end.status.value, "mode": follow_up.mode, "error": error,
            "failedNode": error.get("nodeId"),
        },
        "workflow": {
            "id": str(follow_up.workflow_id), "name": repo.workflow_name(follow_up.workflow_id) or "",
        },
    }  # fmt: skip


def _reason(problem: Exception) -> str:
    if isinstance(problem, NotFound):
        return (
            "no such workflow in this workspace (deleted, or never published);"
            " point settings.errorWorkflowId at one with a trigger.error node"
        )
    if isinstance(problem, ValueError) and not isinstance(problem, A2NError):
        return "settings.errorWorkflowId is not a workflow id"
    return str(problem)


def _message(end: ExecutionEnd) -> str:
    if isinstance(end.error, dict):
        return str(end.error.get("message", "failed"))
    return "failed"
