"""Applying the planner's decisions to a locked execution: node rows, outbox, logs, the end.

Every state change of a running execution (a step's completion, a resume, a child's end, a cancel,
a timeout, an expired lease) goes through `settle`/`apply_plan` under the execution row lock. They
never start or finish another execution: what follows (notify the parent, start the error
workflow) comes back as follow-ups in the returned Effects, for `links.carry_out`.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from a2n.db.base import utcnow
from a2n.engine.planner import ExecutionEnd, Outcome, OutcomeKind, Plan, plan_after
from a2n.engine.statuses import EXECUTION_TERMINAL, ExecutionStatus, NodeStatus
from a2n.execution import timers
from a2n.execution.compiled import CompiledWorkflow, compiled_workflow, planner_states
from a2n.execution.inline import Inlined, RunFacts, run_inline
from a2n.execution.outbox import outbox_message
from a2n.execution.rows import (
    Completion,
    Effects,
    FollowUp,
    NodeRowUpdate,
    NotifyEnded,
    NotifyParent,
    StartErrorWorkflow,
    execution_transition,
    fold_changes,
    log_row,
    node_logs,
)

if TYPE_CHECKING:
    from a2n.db.models import OutboxMessage
    from a2n.db.repositories.executions import ExecutionRepository, LockedExecution, StoredNodeState
    from a2n.engine.backoff import RandomSource

SQS_MAX_DELAY_S = 900


def is_current(stored: Mapping[str, StoredNodeState], node_id: str, attempt: int, status: NodeStatus) -> bool:
    """Fencing: the row is still in `status` with our attempt (no later attempt or cancel won)."""
    state = stored.get(node_id)
    return state is not None and state.status == status and state.attempt == attempt


def settle(
    repo: ExecutionRepository,
    locked: LockedExecution,
    stored: Mapping[str, StoredNodeState],
    outcome: Outcome,
    *,
    completion: Completion,
    now: datetime,
    rng: RandomSource | None = None,
) -> Effects:
    """Record `outcome` of a node that `is_current` and apply what the planner decides next."""
    compiled = compiled_workflow(repo, locked.workflow_id, locked.workflow_version)
    plan = plan_after(
        compiled.graph,
        planner_states(stored),
        outcome,
        execution_status=ExecutionStatus(locked.status),
        rng=rng,
    )
    waiting = outcome.kind is OutcomeKind.WAITING and plan.status_of(outcome.node_id) is NodeStatus.WAITING
    wake = _wake_message(locked, compiled, outcome, completion=completion, now=now) if waiting else []
    # Log lines are shown beside the claim's start time: the wall clock, not the engine's.
    logs = node_logs(locked.id, outcome, plan, completion=completion, now=utcnow())
    inlined = Inlined(plan)
    if ExecutionStatus(locked.status) not in EXECUTION_TERMINAL:
        facts = RunFacts(locked.id, locked.trigger_data, locked.started_at, locked.mode)
        inlined = run_inline(compiled, planner_states(stored), plan, facts)
    return apply_plan(
        repo, locked, compiled=compiled, stored=stored, plan=inlined.plan, now=now,
        waiting=completion if waiting else None, logs=logs + inlined.logs, started=inlined.started,
        webhook_response=completion.webhook_response or inlined.webhook_response, extra_messages=wake,
    )  # fmt: skip


def _wake_message(
    locked: LockedExecution, compiled: CompiledWorkflow, outcome: Outcome, *, completion: Completion,
    now: datetime,
) -> list[OutboxMessage]:  # fmt: skip
    """A wait SQS can hold (≤ 900 s) wakes through a delayed step message; longer ones through
    their engine timer (timers.follow)."""
    if completion.wait_until is None:
        return []
    delay_s = max(0, math.ceil((completion.wait_until - now).total_seconds()))
    if delay_s > SQS_MAX_DELAY_S:
        return []
    node_type = compiled.graph.nodes[outcome.node_id].type
    return [outbox_message(locked.id, outcome.node_id, node_type, outcome.attempt, delay_s)]


def _park(row: NodeRowUpdate, completion: Completion) -> None:
    """The columns of a node that starts waiting (a timer, a resume token, a child execution)."""
    row.wait_until = completion.wait_until
    row.resume_token_hash = completion.resume_token_hash
    row.child_execution_id = completion.child_execution_id
    if completion.waiting_output is not None:
        row.output = completion.waiting_output


def apply_plan(
    repo: ExecutionRepository,
    locked: LockedExecution,
    *,
    compiled: CompiledWorkflow,
    stored: Mapping[str, StoredNodeState],
    plan: Plan,
    now: datetime,
    waiting: Completion | None = None,
    logs: list[dict[str, Any]] | None = None,
    started: Mapping[str, datetime] | None = None,
    webhook_response: Mapping[str, Any] | None = None,
    extra_messages: Sequence[OutboxMessage] = (),
) -> Effects:
    """Write a plan: the execution row if it changes, then node rows, outbox and logs in one statement.
    `waiting` (with the plan's WAITING node) parks that node."""
    rows = fold_changes(plan.changes, {node_id: state.status for node_id, state in stored.items()})
    if waiting is not None:
        for row in rows.values():
            if row.status is NodeStatus.WAITING:
                _park(row, waiting)
    for node_id, began in (started or {}).items():
        rows[node_id].started_at = began
    messages: list[OutboxMessage] = list(extra_messages)
    for item in plan.enqueue:
        delay_s = math.ceil(item.delay_ms / 1000)
        if delay_s > SQS_MAX_DELAY_S:  # longer than SQS can hold: its engine timer enqueues it when due
            rows[item.node_id].next_attempt_at = now + timedelta(milliseconds=item.delay_ms)
            continue
        node_type = compiled.graph.nodes[item.node_id].type
        messages.append(outbox_message(locked.id, item.node_id, node_type, item.attempt, delay_s))
    log_rows = list(logs or ())
    follow_ups: list[FollowUp] = []
    if plan.finished is not None:
        follow_ups = _finish(repo, locked, compiled=compiled, plan=plan, logs=log_rows,
                             webhook_response=webhook_response)  # fmt: skip
    else:
        status = _derived_status(locked.status, stored, rows)
        if status is not ExecutionStatus(locked.status) or webhook_response is not None:
            execution_transition(locked.status, status)
            repo.update_execution(locked.id, status=status.value, ending=False,
                                  webhook_response=webhook_response)  # fmt: skip
    # Parked nodes get their engine timers before commit; unparked ones lose theirs after it.
    timers.follow(repo, locked.id, stored, rows, now)
    # Node rows, outbox and logs last, in one statement: nothing above reads this execution's nodes.
    repo.write_plan(locked.id, [row.as_param() for row in rows.values()], messages, log_rows)
    return Effects(messages, follow_ups)


def _derived_status(
    current: str, stored: Mapping[str, StoredNodeState], rows: Mapping[str, NodeRowUpdate]
) -> ExecutionStatus:
    """RUNNING while anything is queued or running, WAITING while only waits remain."""
    if ExecutionStatus(current) in EXECUTION_TERMINAL:
        return ExecutionStatus(current)
    statuses = {node_id: NodeStatus(state.status) for node_id, state in stored.items()}
    statuses.update({node_id: row.status for node_id, row in rows.items()})
    values = set(statuses.values())
    if values & {NodeStatus.QUEUED, NodeStatus.RUNNING}:
        return ExecutionStatus.RUNNING
    if NodeStatus.WAITING in values:
        return ExecutionStatus.WAITING
    return ExecutionStatus.RUNNING


def _finish(
    repo: ExecutionRepository,
    locked: LockedExecution,
    *,
    compiled: CompiledWorkflow,
    plan: Plan,
    logs: list[dict[str, Any]],
    webhook_response: Mapping[str, Any] | None,
) -> list[FollowUp]:
    end = plan.finished
    assert end is not None
    execution_transition(locked.status, end.status)
    repo.update_execution(
        locked.id, status=end.status.value, ending=True, output=end.output, error=end.error,
        webhook_response=webhook_response,
    )  # fmt: skip
    level = "INFO" if end.status is ExecutionStatus.SUCCEEDED else "ERROR"
    logs.append(log_row(locked.id, None, level, f"execution {end.status.value.lower()}", end.error))
    return ending_follow_ups(locked.id, locked, compiled, end, started_at=locked.started_at)


class EndingRun(Protocol):
    """What an ending execution's follow-ups need of it (a locked row, or a start request)."""

    @property
    def workflow_id(self) -> uuid.UUID: ...
    @property
    def workspace_id(self) -> uuid.UUID: ...
    @property
    def mode(self) -> str: ...
    @property
    def parent_execution_id(self) -> uuid.UUID | None: ...
    @property
    def parent_node_id(self) -> str | None: ...


def ending_follow_ups(
    execution_id: uuid.UUID, run: EndingRun, compiled: CompiledWorkflow, end: ExecutionEnd,
    *, started_at: datetime | None = None,
) -> list[FollowUp]:  # fmt: skip
    """What an execution's end asks for: its parent's node settles; a failure starts the error
    workflow (never for an error run itself); notification rules are asked about it."""
    duration_ms = int((utcnow() - started_at).total_seconds() * 1000) if started_at else 0
    follow_ups: list[FollowUp] = [
        NotifyEnded(execution_id, run.workflow_id, run.workspace_id, end.status.value, max(duration_ms, 0))
    ]
    target = compiled.settings.get("errorWorkflowId")
    failed = end.status in (ExecutionStatus.FAILED, ExecutionStatus.TIMED_OUT)
    if target and failed and run.mode != "error":
        follow_ups.append(StartErrorWorkflow(execution_id, run.workflow_id, run.workspace_id, str(run.mode),
                                             str(target), end))  # fmt: skip
    if run.parent_execution_id is not None and run.parent_node_id is not None:
        follow_ups.append(NotifyParent(execution_id, run.parent_execution_id, run.parent_node_id, end))
    return follow_ups
