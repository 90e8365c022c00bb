"""Starting executions: one transaction writes the execution (pinned to the workflow's version),
every node state and the trigger's successors' outbox rows. Returns Effects: the caller carries out
the follow-ups (an execution that ends at its start notifies its parent) and publishes after commit
(`links.start_execution` does both but the publish).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from a2n.db.base import new_id, utcnow
from a2n.db.enums import ExecutionMode
from a2n.db.repositories.executions import ExecutionRepository
from a2n.engine.graph import MAIN_HANDLE
from a2n.engine.planner import NodeState, Plan, plan_start
from a2n.engine.statuses import NODE_TERMINAL, ExecutionStatus, NodeStatus
from a2n.errors import BadRequest, Conflict, NotFound
from a2n.execution import clock
from a2n.execution.compiled import CompiledWorkflow, remember_compiled
from a2n.execution.inline import RunFacts, run_inline
from a2n.execution.outbox import outbox_message
from a2n.execution.rows import KEEP, Effects, fold_changes, log_row
from a2n.execution.settle import SQS_MAX_DELAY_S, ending_follow_ups
from a2n.settings import get_settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.orm import Session

    from a2n.db.repositories.executions import ExistingExecution
    from a2n.engine.graph import Graph

MANUAL_TRIGGER = "trigger.manual"
SCHEDULE_TRIGGER = "trigger.schedule"
ERROR_TRIGGER = "trigger.error"
DEFAULT_EXECUTION_TIMEOUT_MS = 3_600_000


@dataclass(frozen=True)
class StartRequest:
    workflow_id: uuid.UUID
    workspace_id: uuid.UUID
    mode: ExecutionMode
    trigger_data: Any = None
    trigger_node_id: str | None = None
    trigger_id: uuid.UUID | None = None
    scheduled_time: datetime | None = None
    idempotency_key: str | None = None
    request_hash: str | None = None
    parent_execution_id: uuid.UUID | None = None
    parent_node_id: str | None = None
    # Re-runs: the version of the execution being re-run, its id, and the rows it reuses.
    workflow_version: int | None = None
    retry_of: uuid.UUID | None = None
    # A manual test run of the draft head instead of the published version.
    run_draft: bool = False


@dataclass(frozen=True)
class StartedExecution:
    execution_id: uuid.UUID
    status: str
    created: bool
    # When the start transaction ended the run or a respond_webhook answered (pure nodes inline),
    # a sync webhook answers from these without waiting.
    output: Any = None
    webhook_response: Mapping[str, Any] | None = None


def write_start(
    session: Session | Connection, request: StartRequest
) -> tuple[StartedExecution, Effects]:
    """Inside the caller's transaction: the execution of the workflow's published version (or, for
    a test run, its draft head)."""
    repo = ExecutionRepository(session)
    head = repo.workflow_head(request.workspace_id, request.workflow_id, draft=request.run_draft)
    if head is None:
        raise NotFound("Workflow not found")
    existing = _existing(repo, request)
    if existing is not None:
        return existing, Effects()
    compiled = remember_compiled(head.id, head.version, CompiledWorkflow.of(head.definition))
    trigger = _trigger_node(compiled.graph, request.trigger_node_id, request.mode)
    request = _fired_by_hand(request, compiled.graph.nodes[trigger].type)
    plan = plan_start(compiled.graph, trigger, request.trigger_data)
    return write_execution(repo, request, head.version, compiled=compiled, plan=plan)


def write_execution(
    repo: ExecutionRepository,
    request: StartRequest,
    version: int,
    *,
    compiled: CompiledWorkflow,
    plan: Plan,
    reused: Mapping[str, Mapping[str, Any]] | None = None,
) -> tuple[StartedExecution, Effects]:
    """Insert the execution, all node rows (reused ones as given) and the plan's outbox rows; pure
    nodes the plan makes ready run inline first."""
    execution_id = new_id()
    facts = RunFacts(execution_id, request.trigger_data, utcnow(), request.mode.value)
    inlined = run_inline(compiled, _reused_states(reused or {}), plan, facts)
    plan = inlined.plan
    end = plan.finished
    status = end.status if end is not None else ExecutionStatus.RUNNING
    timeout_ms = int(compiled.settings.get("timeoutMs") or DEFAULT_EXECUTION_TIMEOUT_MS)
    inserted = repo.insert_execution({
        "id": execution_id, "workflow_id": request.workflow_id, "workflow_version": version,
        "workspace_id": request.workspace_id, "status": status.value, "mode": request.mode.value,
        "trigger_id": request.trigger_id, "scheduled_time": request.scheduled_time,
        "trigger_data": request.trigger_data, "output": end.output if end else None,
        "error": end.error if end else None, "ended_at": utcnow() if end else None,
        "webhook_response": inlined.webhook_response,
        "duration_ms": 0 if end else None,
        "deadline_at": clock.now() + timedelta(milliseconds=timeout_ms),
        "parent_execution_id": request.parent_execution_id, "parent_node_id": request.parent_node_id,
        "retry_of": request.retry_of, "idempotency_key": request.idempotency_key,
        "request_hash": request.request_hash,
    })  # fmt: skip
    if not inserted:  # a concurrent request with the same key or fire won the race
        winner = _existing(repo, request)
        if winner is None:
            raise Conflict("An execution with this key already exists")
        return winner, Effects()
    repo.insert_node_states(_node_rows(execution_id, compiled.graph, plan, reused or {}, inlined.started))
    messages = [
        outbox_message(execution_id, item.node_id, compiled.graph.nodes[item.node_id].type, item.attempt,
                       min(math.ceil(item.delay_ms / 1000), SQS_MAX_DELAY_S))  # an inline node's retry
        for item in plan.enqueue
    ]  # fmt: skip
    repo.insert_outbox(messages)
    repo.count_started(request.workflow_id, ended=end.status.value if end else None)
    logs = [log_row(execution_id, None, "INFO", "execution started", {"mode": request.mode.value})]
    logs += inlined.logs
    if end is not None:
        level = "INFO" if end.status is ExecutionStatus.SUCCEEDED else "ERROR"
        logs.append(log_row(execution_id, None, level, f"execution {end.status.value.lower()}", end.error))
    repo.insert_logs(logs)
    follow_ups = ending_follow_ups(execution_id, request, compiled, end) if end is not None else []
    started = StartedExecution(execution_id, status.value, True, end.output if end else None,
                               inlined.webhook_response)  # fmt: skip
    return started, Effects(messages, follow_ups)


def _reused_states(reused: Mapping[str, Mapping[str, Any]]) -> dict[str, NodeState]:
    """A re-run's reused rows as the planner sees them (the states before its plan)."""
    return {
        node_id: NodeState(NodeStatus(row["status"]), row.get("attempt") or 0, row.get("output"),
                           (MAIN_HANDLE,) if row.get("handles") is None else tuple(row["handles"]),
                           row.get("error"))
        for node_id, row in reused.items()
    }  # fmt: skip


def _existing(repo: ExecutionRepository, request: StartRequest) -> StartedExecution | None:
    """The execution this request already started (idempotent replay, duplicate schedule fire)."""
    if request.trigger_id is not None and request.scheduled_time is not None:
        fired = repo.by_scheduled_time(request.trigger_id, request.scheduled_time)
        if fired is not None:
            return StartedExecution(fired.id, fired.status, False)
    if request.idempotency_key is None:
        return None
    found = repo.by_idempotency_key(request.workflow_id, request.idempotency_key)
    if found is None:
        return None
    if _expired(found):
        repo.release_idempotency_key(found.id)  # past the window the key starts a new execution
        return None
    if found.request_hash != request.request_hash:
        raise Conflict("This Idempotency-Key was used with a different request body")
    return StartedExecution(found.id, found.status, False)


def _expired(found: ExistingExecution) -> bool:
    """Past A2N_IDEMPOTENCY_WINDOW_H, the same window retention uses to release keys."""
    return found.created_at < utcnow() - timedelta(hours=get_settings().idempotency_window_h)


def _trigger_node(graph: Graph, requested: str | None, mode: ExecutionMode) -> str:
    """The requested trigger; else, for an error run, its trigger.error; else the first manual
    trigger, else the first trigger of any kind: a workflow without a manual trigger can still be
    run by hand (its first trigger gets the input), and an error workflow saved before trigger.error
    existed still starts."""
    if requested is not None:
        if requested not in graph.triggers:
            raise BadRequest(f"'{requested}' is not a trigger node of this workflow")
        return requested
    preferred = ERROR_TRIGGER if mode is ExecutionMode.ERROR else MANUAL_TRIGGER
    for kind in dict.fromkeys((preferred, MANUAL_TRIGGER)):
        found = [node_id for node_id in graph.triggers if graph.nodes[node_id].type == kind]
        if found:
            return found[0]
    if not graph.triggers:
        raise BadRequest("The workflow has no trigger node")
    return graph.triggers[0]


def _fired_by_hand(request: StartRequest, trigger_type: str) -> StartRequest:
    """A schedule trigger run by hand fires now: its output is what a real fire's would be
    (`scheduledTime`), flagged `manual: true`, so `{{ trigger.scheduledTime }}` works in a test run.
    An object input's fields win (to replay a given time); any other input is used as sent."""
    if request.mode is not ExecutionMode.MANUAL or trigger_type != SCHEDULE_TRIGGER:
        return request
    fired = {"scheduledTime": utcnow().isoformat(timespec="seconds").replace("+00:00", "Z"), "manual": True}
    if request.trigger_data is None:
        return replace(request, trigger_data=fired)
    if isinstance(request.trigger_data, Mapping):
        return replace(request, trigger_data={**fired, **request.trigger_data})
    return request


def _node_rows(
    execution_id: uuid.UUID, graph: Graph, plan: Plan, reused: Mapping[str, Mapping[str, Any]],
    started: Mapping[str, datetime],
) -> list[dict[str, Any]]:  # fmt: skip
    """Every node's row for one multi-row INSERT: reused as given, then the plan's changes."""
    now = utcnow()
    bases = {node_id: dict(reused.get(node_id) or {"status": NodeStatus.PENDING.value, "attempt": 0})
             for node_id in graph.order}  # fmt: skip
    changes = fold_changes(plan.changes, {node_id: base["status"] for node_id, base in bases.items()})
    rows: list[dict[str, Any]] = []
    for node_id in graph.order:
        base = bases[node_id]
        change = changes.get(node_id)
        if change is not None:
            base["status"] = change.status.value
            for column in ("input", "output", "error", "handles"):
                value = getattr(change, column)
                if value is not KEEP:
                    base[column] = value
            if change.attempt is not None:
                base["attempt"] = change.attempt
        status = NodeStatus(base["status"])
        rows.append({
            "id": new_id(), "execution_id": execution_id, "node_id": node_id,
            "node_type": graph.nodes[node_id].type, "status": status.value,
            "attempt": base.get("attempt", 0), "input": base.get("input"), "output": base.get("output"),
            "error": base.get("error"), "handles": base.get("handles"),
            "queued_at": now if status is NodeStatus.QUEUED else None,
            "started_at": started.get(node_id)
            or (now if status in NODE_TERMINAL - {NodeStatus.SKIPPED, NodeStatus.CANCELLED}
                and node_id not in reused else None),
            "ended_at": now if status in NODE_TERMINAL else None,
            "created_at": now, "updated_at": now,
        })  # fmt: skip
    return rows
