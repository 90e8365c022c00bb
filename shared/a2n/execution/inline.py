"""Pure nodes inline (Execution core v2): the transaction that makes a pure node ready (the start, a
step's completion, a resume, a child's end) also runs it, in a loop, until only nodes with I/O are
ready, the execution ends, or the bound (nodes and CPU time per transaction) is reached; what is left
goes through SQS as before. Each inline node is still its own node state: QUEUED → RUNNING → its
outcome, with its input, output, handles, attempt, times and logs, and its `onError` and retry
policy applied by the same planner (a retry with a delay goes through SQS).

`settings.inlinePureNodes: false` on a workflow turns this off (one queued step per node).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from a2n.db.base import utcnow
from a2n.engine.expressions import expression_context
from a2n.engine.planner import Enqueue, NodeChange, NodeState, Outcome, Plan, plan_after
from a2n.engine.statuses import ExecutionStatus, NodeStatus
from a2n.execution.compiled import CompiledWorkflow
from a2n.execution.rows import Completion, node_logs
from a2n.execution.running import attempt_from, checked_result, unexpected_error
from a2n.nodes.context import NodeContext, NodeFailed
from a2n.nodes.registry import get_runner, is_pure
from a2n.observability import get_logger
from a2n.settings import get_settings

logger = get_logger()


@dataclass(frozen=True, slots=True)
class RunFacts:
    """What an inline node's expressions see of its execution."""

    execution_id: uuid.UUID
    trigger_data: Any
    started_at: datetime
    mode: str


@dataclass
class Inlined:
    """The plan with the inline runs folded in, their log rows, start times and any webhook answer."""

    plan: Plan
    logs: list[dict[str, Any]] = field(default_factory=list)
    started: dict[str, datetime] = field(default_factory=dict)
    webhook_response: Mapping[str, Any] | None = None


def enabled(compiled: CompiledWorkflow) -> bool:
    """The workflow's settings.inlinePureNodes, else the deployment's A2N_INLINE_PURE_NODES."""
    chosen = compiled.settings.get("inlinePureNodes")
    return get_settings().inline_pure_nodes if chosen is None else bool(chosen)


def run_inline(
    compiled: CompiledWorkflow, states: Mapping[str, NodeState], plan: Plan, facts: RunFacts
) -> Inlined:
    """Run the pure nodes `plan` queues (and those they make ready) within the bound; `states` are
    the node states before `plan`."""
    if not enabled(compiled) or plan.finished is not None or not _runnable(compiled, plan.enqueue):
        return Inlined(plan)
    settings = get_settings()
    board = dict(states)
    inputs: dict[str, Any] = {}
    changes, enqueue, finished = list(plan.changes), list(plan.enqueue), plan.finished
    _absorb(board, inputs, plan.changes)
    done = Inlined(plan)
    began = time.thread_time()
    ran = 0
    while finished is None and ran < settings.inline_max_nodes:
        if (time.thread_time() - began) * 1000 >= settings.inline_max_cpu_ms:
            break
        item = next((e for e in _runnable(compiled, enqueue) if e.node_id in inputs), None)
        if item is None:
            break
        enqueue.remove(item)
        ran += 1
        started = utcnow()
        running = NodeChange(item.node_id, NodeStatus.RUNNING)
        changes.append(running)
        _absorb(board, inputs, (running,))
        outcome, completion = _run(compiled, board, inputs[item.node_id], item, facts=facts, now=started)
        after = plan_after(compiled.graph, board, outcome, execution_status=ExecutionStatus.RUNNING)
        changes += after.changes
        enqueue += after.enqueue
        finished = after.finished
        _absorb(board, inputs, after.changes)
        completion.started_at = started
        done.logs += node_logs(facts.execution_id, outcome, after, completion=completion, now=utcnow())
        done.started[item.node_id] = started
        if completion.webhook_response is not None:
            done.webhook_response = completion.webhook_response
    done.plan = Plan(tuple(changes), tuple(enqueue), finished)
    return done


def _runnable(compiled: CompiledWorkflow, enqueue: Any) -> list[Enqueue]:
    nodes = compiled.graph.nodes
    return [item for item in enqueue if item.delay_ms == 0 and is_pure(nodes[item.node_id].type)]


def _absorb(board: dict[str, NodeState], inputs: dict[str, Any], changes: Any) -> None:
    """The planner's view after `changes` (as _Board applies them), and the inputs they set."""
    for change in changes:
        old = board.get(change.node_id) or NodeState()
        board[change.node_id] = replace(
            old,
            status=change.status,
            attempt=old.attempt if change.attempt is None else change.attempt,
            output=change.output if change.output is not None else old.output,
            handles=old.handles if change.handles is None else change.handles,
            error=change.error if change.error is not None else old.error,
        )
        if change.status is NodeStatus.QUEUED:  # queued by this transaction: runnable here
            inputs[change.node_id] = change.input


def _run(
    compiled: CompiledWorkflow, board: Mapping[str, NodeState], node_input: Any, item: Enqueue, *,
    facts: RunFacts, now: datetime,
) -> tuple[Outcome, Completion]:  # fmt: skip
    """One pure node's run, as a queued step would record it (no credential, nothing to scrub)."""
    node = compiled.graph.nodes[item.node_id]
    outputs = {node_id: s.output for node_id, s in board.items() if s.status is NodeStatus.SUCCEEDED}
    execution = {"id": str(facts.execution_id), "startedAt": facts.started_at.isoformat(), "mode": facts.mode}
    context = NodeContext(
        execution_id=str(facts.execution_id), node_id=node.id, node_type=node.type, attempt=item.attempt,
        config=node.config, input=node_input,
        expression_context=expression_context(trigger=facts.trigger_data, input=node_input, nodes=outputs,
                                              variables=compiled.variables, execution=execution),
        credential=None, timeout_s=get_settings().node_timeout_default_s, now=now,
    )  # fmt: skip
    try:
        attempt = attempt_from(node.id, item.attempt, checked_result(get_runner(node.type)(context)))
    except NodeFailed as failure:
        return Outcome.failed(node.id, failure.as_error(), item.attempt), Completion()
    except Exception as error:  # a bug: recorded like a queued step's, retried through SQS
        logger.exception("node raised", extra={"node_type": node.type, "node_id": node.id})
        return Outcome.failed(node.id, unexpected_error(error), item.attempt), Completion()
    return attempt.outcome, attempt.completion
