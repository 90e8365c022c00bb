"""What time decides, for the sweeper: due waits and long retries, expired leases, execution
deadlines, and the fire of one node's engine timer. Each works inside the caller's transaction and
returns outbox messages to publish.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from a2n.db.repositories.executions import ExecutionRepository
from a2n.engine.planner import Enqueue, NodeChange, Outcome, Plan, plan_timeout
from a2n.engine.statuses import EXECUTION_TERMINAL, ExecutionStatus, NodeStatus
from a2n.execution.compiled import compiled_workflow, planner_states
from a2n.execution.links import carry_out
from a2n.execution.outbox import outbox_message
from a2n.execution.rows import Completion, log_row
from a2n.execution.settle import apply_plan, is_current, settle

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from a2n.db.models import OutboxMessage
    from a2n.db.repositories.executions import DueNode, LockedExecution
    from a2n.execution.timers import NodeTimer

SWEEP_BATCH = 500
# A worker that died (OOM, Lambda timeout, crash) gets this many extra attempts beyond the node's
# retry policy: infrastructure failures should not fail a run that never got to fail on its own.
CRASH_RETRIES = 2
LEASE_EXPIRED = "the step's worker stopped before completing (lease expired)"


def wake_due_waits(session: Session, now: datetime) -> list[OutboxMessage]:
    """Step messages for waits whose time came and for retries delayed past SQS's 900 s."""
    repo = ExecutionRepository(session)
    due = repo.due_waits(now, SWEEP_BATCH) + repo.take_due_retries(now, SWEEP_BATCH)
    messages = [outbox_message(d.execution_id, d.node_id, d.node_type, d.attempt) for d in due]
    repo.insert_outbox(messages)
    return messages


def requeue_expired_leases(session: Session, now: datetime) -> list[OutboxMessage]:
    """RUNNING nodes whose lease expired: a fresh attempt (a late completion of the old one is then
    fenced out), or — crash retries spent — a failure handled by the node's onError policy."""
    repo = ExecutionRepository(session)
    messages: list[OutboxMessage] = []
    for due in repo.expired_leases(now, SWEEP_BATCH):
        messages += _requeue(repo, due, now)
    return messages


def _requeue(repo: ExecutionRepository, due: DueNode, now: datetime) -> list[OutboxMessage]:
    locked = repo.lock(due.execution_id, skip_locked=True)
    if locked is None:
        return []  # busy: the next sweep looks again
    stored = repo.node_states(locked.id)
    if not is_current(stored, due.node_id, due.attempt, NodeStatus.RUNNING):
        return []
    compiled = compiled_workflow(repo, locked.workflow_id, locked.workflow_version)
    node = compiled.graph.nodes[due.node_id]
    error = {"message": LEASE_EXPIRED, "retryable": True}
    terminal = ExecutionStatus(locked.status) in EXECUTION_TERMINAL
    if terminal or due.attempt >= node.retry.max_attempts + CRASH_RETRIES:
        outcome = Outcome.failed(due.node_id, error, due.attempt)
        return carry_out(repo, settle(repo, locked, stored, outcome, completion=Completion(), now=now))
    next_attempt = due.attempt + 1
    plan = Plan(
        changes=(NodeChange(due.node_id, NodeStatus.QUEUED, attempt=next_attempt, error=error),),
        enqueue=(Enqueue(due.node_id, next_attempt),),
    )
    logs = [log_row(locked.id, due.node_id, "WARN", "lease expired, retrying", {"attempt": due.attempt})]
    effects = apply_plan(repo, locked, compiled=compiled, stored=stored, plan=plan, now=now, logs=logs)
    return carry_out(repo, effects)


def timeout_executions(session: Session, now: datetime) -> list[OutboxMessage]:
    """Executions past their deadline (settings.timeoutMs) end TIMED_OUT; nothing new starts."""
    repo = ExecutionRepository(session)
    messages: list[OutboxMessage] = []
    for execution_id in repo.overdue_executions(now, SWEEP_BATCH):
        locked = repo.lock(execution_id, skip_locked=True)
        if locked is None or ExecutionStatus(locked.status) in EXECUTION_TERMINAL:
            continue
        messages += _time_out(repo, locked, now)
    return messages


def _time_out(repo: ExecutionRepository, locked: LockedExecution, now: datetime) -> list[OutboxMessage]:
    stored = repo.node_states(locked.id)
    compiled = compiled_workflow(repo, locked.workflow_id, locked.workflow_version)
    plan = plan_timeout(compiled.graph, planner_states(stored))
    effects = apply_plan(repo, locked, compiled=compiled, stored=stored, plan=plan, now=now)
    return carry_out(repo, effects)


class TimerEarly(Exception):
    """A node timer fired before its node was due (clock skew): raised so that EventBridge Scheduler
    retries the invocation (its retry policy), which is then on time."""


def fire_node_timer(session: Session, timer: NodeTimer, now: datetime) -> list[OutboxMessage]:
    """One node's engine timer fired: its execution past its deadline ends TIMED_OUT; else the node,
    if still parked at that attempt and due, gets its step message. A timer whose node moved on
    (resumed, cancelled, a later attempt) does nothing."""
    repo = ExecutionRepository(session)
    locked = repo.lock(timer.execution_id)
    if locked is None or ExecutionStatus(locked.status) in EXECUTION_TERMINAL:
        return []
    deadline = repo.deadline_of(locked.id)
    if deadline is not None and deadline <= now:
        return _time_out(repo, locked, now)
    due = repo.take_due_node(timer.execution_id, timer.node_id, timer.attempt, now)
    if due is not None:
        messages = [outbox_message(due.execution_id, due.node_id, due.node_type, due.attempt)]
        repo.insert_outbox(messages)
        return messages
    if repo.still_parked(timer.execution_id, timer.node_id, timer.attempt):
        raise TimerEarly(f"{timer.name} fired at {now.isoformat()}, before its node or deadline was due")
    return []
