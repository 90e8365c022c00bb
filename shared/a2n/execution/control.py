"""Operations on a running or finished execution: cancel, re-run from a node, resume a wait.

Each works inside the caller's transaction (the caller checks access, audits and commits) and
returns the outbox messages to publish after commit.
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from typing import TYPE_CHECKING, Any

from a2n.db.enums import ExecutionMode
from a2n.db.repositories.executions import ExecutionRepository
from a2n.engine.planner import Outcome, plan_cancel, plan_rerun_from, plan_start
from a2n.engine.statuses import EXECUTION_TERMINAL, ExecutionStatus, NodeStatus
from a2n.errors import BadRequest, Conflict, NotFound, Problem, ValidationFailed
from a2n.execution import clock
from a2n.execution.compiled import CompiledWorkflow, compiled_workflow, planner_states
from a2n.execution.links import carry_out
from a2n.execution.rows import Completion, log_row, resume_token_hash
from a2n.execution.settle import apply_plan, settle
from a2n.execution.start import StartedExecution, StartRequest, write_execution
from a2n.nodes.wait import resumed_output

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from a2n.db.models import OutboxMessage
    from a2n.db.repositories.executions import LockedExecution, StoredNodeState


def cancel_execution(session: Session, execution_id: uuid.UUID) -> list[OutboxMessage]:
    """Nothing new starts; running nodes finish and are recorded. Active sub-workflows are
    cancelled too (unless one is finishing right now: its end then finds the parent cancelled)."""
    repo = ExecutionRepository(session)
    locked = repo.lock(execution_id)
    if locked is None:
        raise NotFound("Execution not found")
    return _cancel_locked(session, repo, locked)


def _cancel_locked(
    session: Session, repo: ExecutionRepository, locked: LockedExecution
) -> list[OutboxMessage]:
    if ExecutionStatus(locked.status) in EXECUTION_TERMINAL:
        return []
    stored = repo.node_states(locked.id)
    compiled = compiled_workflow(repo, locked.workflow_id, locked.workflow_version)
    plan = plan_cancel(compiled.graph, planner_states(stored))
    effects = apply_plan(repo, locked, compiled=compiled, stored=stored, plan=plan, now=clock.now())
    messages = carry_out(repo, effects)
    for child_id in repo.active_children(locked.id):
        child = repo.lock(child_id, skip_locked=True)  # never wait on a child: it locks child → parent
        if child is not None:
            messages += _cancel_locked(session, repo, child)
    return messages


def rerun_execution(
    session: Session, *, execution_id: uuid.UUID, from_node_id: str | None
) -> tuple[StartedExecution, list[OutboxMessage]]:
    """A new execution (mode retry, same pinned version) that reuses the outputs of every node
    upstream of `from_node_id` (default: the failed node; none failed → the whole run again)."""
    repo = ExecutionRepository(session)
    old = repo.lock(execution_id)
    if old is None:
        raise NotFound("Execution not found")
    if repo.workflow_head(old.workspace_id, old.workflow_id) is None:
        # Deleted workflows never run again; the execution itself stays readable, hence not a 404.
        raise Conflict("The workflow of this execution was deleted; it cannot run again")
    stored = repo.node_states(old.id)
    compiled = compiled_workflow(repo, old.workflow_id, old.workflow_version)
    request = StartRequest(
        workflow_id=old.workflow_id, workspace_id=old.workspace_id, mode=ExecutionMode.RETRY,
        trigger_data=old.trigger_data, retry_of=old.id,
    )  # fmt: skip
    from_node = from_node_id or _failed_node(compiled, stored)
    if from_node is None:
        trigger = _trigger_that_ran(compiled, stored)
        plan = plan_start(compiled.graph, trigger, old.trigger_data)
        started, effects = write_execution(repo, request, old.workflow_version, compiled=compiled, plan=plan)
        return started, carry_out(repo, effects)
    if from_node not in compiled.graph.nodes:
        raise BadRequest(f"'{from_node}' is not a node of this execution's workflow version")
    try:
        rerun = plan_rerun_from(compiled.graph, planner_states(stored), from_node)
    except ValueError as error:
        raise BadRequest(str(error)) from None
    reused = {node_id: _reused_row(stored[node_id]) for node_id in rerun.reused}
    started, effects = write_execution(repo, request, old.workflow_version, compiled=compiled,
                                       plan=rerun.plan, reused=reused)  # fmt: skip
    return started, carry_out(repo, effects)


def _failed_node(compiled: CompiledWorkflow, stored: dict[str, StoredNodeState]) -> str | None:
    for node_id in compiled.graph.order:
        state = stored.get(node_id)
        if state is not None and state.status == NodeStatus.FAILED.value:
            return node_id
    return None


def _trigger_that_ran(compiled: CompiledWorkflow, stored: dict[str, StoredNodeState]) -> str:
    for node_id in compiled.graph.triggers:
        state = stored.get(node_id)
        if state is not None and state.status == NodeStatus.SUCCEEDED.value:
            return node_id
    return compiled.graph.triggers[0]


def _reused_row(state: StoredNodeState) -> dict[str, Any]:
    return {
        "status": state.status, "attempt": state.attempt, "input": state.input, "output": state.output,
        "error": state.error, "handles": state.handles,
    }  # fmt: skip


def _lock_unended(repo: ExecutionRepository, execution_id: uuid.UUID) -> LockedExecution:
    """The execution, locked; NotFound if it does not exist, Conflict if it already ended."""
    locked = repo.lock(execution_id)
    if locked is None:
        raise NotFound("Execution not found")
    if ExecutionStatus(locked.status) in EXECUTION_TERMINAL:
        raise Conflict(f"Execution already ended ({locked.status})")
    return locked


def issue_resume_token(session: Session, *, execution_id: uuid.UUID, node_id: str | None) -> tuple[str, str]:
    """A new token for the node of this execution that waits to be resumed (``node_id`` when several
    do): returned once, stored as its hash, replacing any earlier token (which stops working).
    Another execution state → Conflict; several waiting and none named → ValidationFailed."""
    repo = ExecutionRepository(session)
    locked = _lock_unended(repo, execution_id)
    waiting = [
        state.node_id for state in repo.node_states(locked.id).values()
        if state.status == NodeStatus.WAITING.value and state.resume_token_hash is not None
        and node_id in (None, state.node_id)
    ]  # fmt: skip
    if not waiting:
        named = f" as '{node_id}'" if node_id is not None else ""
        raise Conflict(f"No node of this execution waits to be resumed{named}")
    if len(waiting) > 1:
        several = ", ".join(sorted(waiting))
        raise ValidationFailed([Problem("/nodeId", f"nodes {several} wait to be resumed: name one")])
    token = secrets.token_urlsafe(32)
    repo.set_resume_token_hash(locked.id, waiting[0], resume_token_hash(token))
    repo.insert_logs([log_row(locked.id, waiting[0], "INFO", "resume token issued")])
    return waiting[0], token


def resume_node(session: Session, *, execution_id: uuid.UUID, token: str, data: Any) -> list[OutboxMessage]:
    """The waiting node holding `token` succeeds with {resumedAt, data}. Unknown token → NotFound;
    an execution that already ended → Conflict."""
    repo = ExecutionRepository(session)
    locked = _lock_unended(repo, execution_id)
    stored = repo.node_states(locked.id)
    wanted = resume_token_hash(token)
    for state in stored.values():
        if (
            state.status == NodeStatus.WAITING.value
            and state.resume_token_hash is not None
            and hmac.compare_digest(state.resume_token_hash, wanted)
        ):
            now = clock.now()
            outcome = Outcome.succeeded(state.node_id, resumed_output(now, data), attempt=state.attempt)
            completion = Completion()
            effects = settle(repo, locked, stored, outcome, completion=completion, now=now)
            repo.insert_logs([log_row(locked.id, state.node_id, "INFO", "node resumed")])
            return carry_out(repo, effects)
    raise NotFound("No node of this execution is waiting for this token")
