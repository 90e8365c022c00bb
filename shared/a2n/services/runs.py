"""Applying the planner's decisions to a locked execution: node rows, outbox, logs, the end.

Every state change of a running execution (a step's completion, a resume, a child's end, a cancel,
a timeout, an expired lease) goes through `settle`/`apply_plan` under the execution row lock.
"""

from __future__ import annotations

import math
import uuid
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from a2n.db.base import new_id
from a2n.engine.graph import MAIN_HANDLE, Graph
from a2n.engine.planner import NodeChange, NodeState, Outcome, OutcomeKind, Plan, plan_after
from a2n.engine.statuses import EXECUTION_TERMINAL, ExecutionStatus, NodeStatus
from a2n.observability import get_logger
from a2n.services.outbox import outbox_message

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from a2n.db.models import OutboxMessage
    from a2n.db.repositories.executions import ExecutionRepository, LockedExecution, StoredNodeState
    from a2n.engine.backoff import RandomSource

logger = get_logger()
SQS_MAX_DELAY_S = 900
_GRAPH_CACHE_SIZE = 64


@dataclass(frozen=True, slots=True)
class CompiledWorkflow:
    """A pinned workflow version as the engine uses it; immutable, so cached per container."""

    graph: Graph
    variables: Mapping[str, Any]
    settings: Mapping[str, Any]

    @classmethod
    def of(cls, definition: Mapping[str, Any]) -> CompiledWorkflow:
        return cls(
            Graph.from_definition(definition),
            dict(definition.get("variables") or {}),
            dict(definition.get("settings") or {}),
        )


_compiled: OrderedDict[tuple[uuid.UUID, int], CompiledWorkflow] = OrderedDict()


def compiled_workflow(repo: ExecutionRepository, workflow_id: uuid.UUID, version: int) -> CompiledWorkflow:
    """The Graph of (workflow, version): a version never changes, so one load per container."""
    key = (workflow_id, version)
    found = _compiled.get(key)
    if found is None:
        definition = repo.definition(workflow_id, version)
        if definition is None:
            raise LookupError(f"workflow {workflow_id} has no version {version}")
        found = remember_compiled(workflow_id, version, CompiledWorkflow.of(definition))
    _compiled.move_to_end(key)
    return found


def remember_compiled(workflow_id: uuid.UUID, version: int, compiled: CompiledWorkflow) -> CompiledWorkflow:
    _compiled[(workflow_id, version)] = compiled
    while len(_compiled) > _GRAPH_CACHE_SIZE:
        _compiled.popitem(last=False)
    return compiled


def planner_states(stored: Mapping[str, StoredNodeState]) -> dict[str, NodeState]:
    return {
        node_id: NodeState(
            status=NodeStatus(state.status),
            attempt=state.attempt,
            output=state.output,
            handles=(MAIN_HANDLE,) if state.handles is None else tuple(state.handles),
            error=state.error,
        )
        for node_id, state in stored.items()
    }


@dataclass
class Completion:
    """What a completion writes beside the planner's decisions, for the node that completed."""

    started_at: datetime | None = None  # set for a real run: logged as "node started"
    wait_until: datetime | None = None
    resume_token_hash: str | None = None
    waiting_output: Any = None
    child_execution_id: uuid.UUID | None = None
    webhook_response: Mapping[str, Any] | None = None
    messages: list[OutboxMessage] = field(default_factory=list)  # e.g. a child execution's


def is_current(stored: Mapping[str, StoredNodeState], node_id: str, attempt: int, status: NodeStatus) -> bool:
    """Fencing: the row is still in `status` with our attempt (no later attempt or cancel won)."""
    state = stored.get(node_id)
    return state is not None and state.status == status and state.attempt == attempt


def settle(
    session: Session,
    repo: ExecutionRepository,
    locked: LockedExecution,
    stored: Mapping[str, StoredNodeState],
    outcome: Outcome,
    *,
    completion: Completion,
    now: datetime,
    rng: RandomSource | None = None,
) -> list[OutboxMessage]:
    """Record `outcome` of a node that `is_current` and apply what the planner decides next."""
    compiled = compiled_workflow(repo, locked.workflow_id, locked.workflow_version)
    plan = plan_after(
        compiled.graph,
        planner_states(stored),
        outcome,
        execution_status=ExecutionStatus(locked.status),
        rng=rng,
    )
    extra: dict[str, Any] = {}
    wake: list[OutboxMessage] = []
    if outcome.kind is OutcomeKind.WAITING and plan.status_of(outcome.node_id) is NodeStatus.WAITING:
        extra = _waiting_columns(completion)
        wake = _wake_message(locked, compiled, outcome, completion=completion, now=now)
    logs = _node_logs(locked.id, outcome, plan, completion=completion, now=now)
    messages = apply_plan(
        session, repo, locked, compiled=compiled, stored=stored, plan=plan, now=now,
        extra={outcome.node_id: extra}, logs=logs,
        webhook_response=completion.webhook_response, extra_messages=wake,
    )
    return completion.messages + messages


def _wake_message(
    locked: LockedExecution, compiled: CompiledWorkflow, outcome: Outcome, *, completion: Completion,
    now: datetime,
) -> list[OutboxMessage]:  # fmt: skip
    """A wait SQS can hold (≤ 900 s) wakes through a delayed step message; longer ones through
    the sweeper's wake_due_waits."""
    if completion.wait_until is None:
        return []
    delay_s = max(0, math.ceil((completion.wait_until - now).total_seconds()))
    if delay_s > SQS_MAX_DELAY_S:
        return []
    node_type = compiled.graph.nodes[outcome.node_id].type
    return [outbox_message(locked.id, outcome.node_id, node_type, outcome.attempt, delay_s)]


def _waiting_columns(completion: Completion) -> dict[str, Any]:
    columns: dict[str, Any] = {
        "wait_until": completion.wait_until.isoformat() if completion.wait_until else None,
        "resume_token_hash": completion.resume_token_hash,
        "child_execution_id": str(completion.child_execution_id) if completion.child_execution_id else None,
    }
    if completion.waiting_output is not None:
        columns.update(set_output=True, output=completion.waiting_output)
    return columns


def apply_plan(
    session: Session,
    repo: ExecutionRepository,
    locked: LockedExecution,
    *,
    compiled: CompiledWorkflow,
    stored: Mapping[str, StoredNodeState],
    plan: Plan,
    now: datetime,
    extra: Mapping[str, Mapping[str, Any]] | None = None,
    logs: list[dict[str, Any]] | None = None,
    webhook_response: Mapping[str, Any] | None = None,
    extra_messages: Sequence[OutboxMessage] = (),
) -> list[OutboxMessage]:
    """Write a plan: the execution row if it changes, then node rows, outbox and logs in one statement."""
    rows = fold_changes(plan.changes)
    for node_id, columns in (extra or {}).items():
        if node_id in rows:
            rows[node_id].update(columns)
    messages: list[OutboxMessage] = list(extra_messages)
    for item in plan.enqueue:
        delay_s = math.ceil(item.delay_ms / 1000)
        if delay_s > SQS_MAX_DELAY_S:  # longer than SQS can hold: the sweeper enqueues it when due
            rows[item.node_id]["next_attempt_at"] = (now + timedelta(milliseconds=item.delay_ms)).isoformat()
            continue
        node_type = compiled.graph.nodes[item.node_id].type
        messages.append(outbox_message(locked.id, item.node_id, node_type, item.attempt, delay_s))
    log_rows = list(logs or ())
    started: list[OutboxMessage] = []  # written by whatever the end starts (error workflow, parent)
    if plan.finished is not None:
        started = _finish(session, repo, locked, compiled=compiled, plan=plan, logs=log_rows,
                          webhook_response=webhook_response)  # fmt: skip
    else:
        status = _derived_status(locked.status, stored, rows)
        if status != locked.status or webhook_response is not None:
            repo.update_execution(locked.id, status=status, ending=False, webhook_response=webhook_response)
    # Node rows, outbox and logs last, in one statement: nothing above reads this execution's nodes.
    repo.write_plan(locked.id, list(rows.values()), messages, log_rows)
    return messages + started


def fold_changes(changes: Sequence[NodeChange]) -> dict[str, dict[str, Any]]:
    """One row per node (the last change wins per field), as the batched UPDATE expects."""
    rows: dict[str, dict[str, Any]] = {}
    for change in changes:
        row = rows.setdefault(change.node_id, _blank_row(change.node_id))
        row["status"] = change.status.value
        if change.attempt is not None:
            row["attempt"] = change.attempt
        if change.input is not None:
            row.update(set_input=True, input=change.input)
        if change.output is not None:
            row.update(set_output=True, output=change.output)
        if change.error is not None:
            row.update(set_error=True, error=dict(change.error))
        elif change.status is NodeStatus.SUCCEEDED:
            row.update(set_error=True, error=None)  # an earlier attempt's error is history, not state
        if change.handles is not None:
            row.update(set_handles=True, handles=list(change.handles))
    return rows


def _blank_row(node_id: str) -> dict[str, Any]:
    return {
        "node_id": node_id, "status": None, "attempt": None,
        "set_input": False, "input": None, "set_output": False, "output": None,
        "set_error": False, "error": None, "set_handles": False, "handles": None,
        "next_attempt_at": None, "wait_until": None, "resume_token_hash": None, "child_execution_id": None,
    }  # fmt: skip


def _derived_status(current: str, stored: Mapping[str, StoredNodeState], rows: Mapping[str, Any]) -> str:
    """RUNNING while anything is queued or running, WAITING while only waits remain."""
    if ExecutionStatus(current) in EXECUTION_TERMINAL:
        return current
    statuses = {node_id: state.status for node_id, state in stored.items()}
    statuses.update({node_id: row["status"] for node_id, row in rows.items()})
    values = set(statuses.values())
    if values & {NodeStatus.QUEUED.value, NodeStatus.RUNNING.value}:
        return ExecutionStatus.RUNNING.value
    if NodeStatus.WAITING.value in values:
        return ExecutionStatus.WAITING.value
    return ExecutionStatus.RUNNING.value


def _finish(
    session: Session,
    repo: ExecutionRepository,
    locked: LockedExecution,
    *,
    compiled: CompiledWorkflow,
    plan: Plan,
    logs: list[dict[str, Any]],
    webhook_response: Mapping[str, Any] | None,
) -> list[OutboxMessage]:
    from a2n.services.execution_links import notify_parent, start_error_workflow

    end = plan.finished
    assert end is not None
    error_execution, messages = start_error_workflow(session, locked, compiled, end)
    repo.update_execution(
        locked.id, status=end.status.value, ending=True, output=end.output, error=end.error,
        webhook_response=webhook_response, error_execution=error_execution,
    )  # fmt: skip
    level = "INFO" if end.status is ExecutionStatus.SUCCEEDED else "ERROR"
    logs.append(log_row(locked.id, None, level, f"execution {end.status.value.lower()}", end.error))
    if locked.parent_execution_id is not None:
        messages += notify_parent(session, repo, locked, end)
    return messages


def log_row(
    execution_id: uuid.UUID,
    node_id: str | None,
    level: str,
    message: str,
    metadata: Mapping[str, Any] | None = None,
    *,
    ts: datetime | None = None,
) -> dict[str, Any]:
    from a2n.db.base import utcnow

    return {
        "id": new_id(), "execution_id": execution_id, "node_id": node_id, "level": level,
        "message": message, "metadata": dict(metadata) if metadata else None, "ts": ts or utcnow(),
    }  # fmt: skip


def _node_logs(
    execution_id: uuid.UUID, outcome: Outcome, plan: Plan, *, completion: Completion, now: datetime
) -> list[dict[str, Any]]:
    """start / finish / error / retry / waiting rows for the node that completed."""
    node_id, attempt = outcome.node_id, outcome.attempt
    rows: list[dict[str, Any]] = []
    if completion.started_at is not None:
        rows.append(log_row(execution_id, node_id, "INFO", "node started", {"attempt": attempt},
                            ts=completion.started_at))  # fmt: skip
    status = plan.status_of(node_id)
    meta: dict[str, Any] = {"attempt": attempt}
    if completion.started_at is not None:
        meta["durationMs"] = max(0, int((now - completion.started_at).total_seconds() * 1000))
    message = str((outcome.error or {}).get("message", ""))
    if status is NodeStatus.QUEUED:
        delay = next((e.delay_ms for e in plan.enqueue if e.node_id == node_id), 0)
        rows.append(log_row(execution_id, node_id, "WARN", f"attempt {attempt} failed, retrying",
                            {**meta, "error": message, "delayMs": delay}, ts=now))  # fmt: skip
    elif status is NodeStatus.WAITING:
        until = completion.wait_until.isoformat() if completion.wait_until else None
        rows.append(log_row(execution_id, node_id, "INFO", "node waiting", {**meta, "until": until}, ts=now))
    elif outcome.kind is OutcomeKind.FAILED:
        failed_meta = {**meta, "error": message}
        rows.append(log_row(execution_id, node_id, "ERROR", "node failed", failed_meta, ts=now))
    elif status is not None:
        rows.append(log_row(execution_id, node_id, "INFO", f"node {status.value.lower()}", meta, ts=now))
    return rows
