"""The planner: from the graph, a snapshot of node states and what just happened, the decisions.

Pure and deterministic (the caller holds the execution row lock and passes fresh states), so a
join fires exactly once: a node is only ever QUEUED from PENDING. Work is bounded by the completed
node's successors plus skip propagation; the completion check is one pass over the node states.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from a2n.engine.backoff import RandomSource, retry_delay_ms
from a2n.engine.graph import ERROR_HANDLE, MAIN_HANDLE, Edge, Graph, Node, OnError
from a2n.engine.inputs import MERGE_TYPE, merge_mode, node_input
from a2n.engine.statuses import (
    EXECUTION_TERMINAL,
    NODE_ACTIVE,
    ExecutionStatus,
    NodeStatus,
    check_transition,
)

_CANCELLABLE = frozenset({NodeStatus.PENDING, NodeStatus.QUEUED, NodeStatus.WAITING})


@dataclass(frozen=True, slots=True)
class NodeState:
    """What the planner needs of a node-state row; `handles` are the routes a SUCCEEDED node took."""

    status: NodeStatus = NodeStatus.PENDING
    attempt: int = 0
    output: Any = None
    handles: tuple[str, ...] = (MAIN_HANDLE,)
    error: Mapping[str, Any] | None = None


class OutcomeKind(StrEnum):
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    WAITING = "WAITING"


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of one attempt. Condition/switch name their chosen handle(s) in `handles`."""

    node_id: str
    kind: OutcomeKind
    attempt: int = 1
    output: Any = None
    handles: tuple[str, ...] = (MAIN_HANDLE,)
    error: Mapping[str, Any] | None = None

    @classmethod
    def succeeded(
        cls, node_id: str, output: Any, handles: tuple[str, ...] = (MAIN_HANDLE,), attempt: int = 1
    ) -> Outcome:
        return cls(node_id, OutcomeKind.SUCCEEDED, attempt, output, handles)

    @classmethod
    def failed(cls, node_id: str, error: Mapping[str, Any], attempt: int = 1) -> Outcome:
        return cls(node_id, OutcomeKind.FAILED, attempt, error=error)

    @classmethod
    def waiting(cls, node_id: str, attempt: int = 1) -> Outcome:
        return cls(node_id, OutcomeKind.WAITING, attempt)


@dataclass(frozen=True, slots=True)
class NodeChange:
    """Set `status`, and every other field that is not None, on the node's state row."""

    node_id: str
    status: NodeStatus
    attempt: int | None = None
    input: Any = None
    output: Any = None
    error: Mapping[str, Any] | None = None
    handles: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Enqueue:
    """A step message to write to the outbox: run `attempt` of `node_id` after `delay_ms`."""

    node_id: str
    attempt: int
    delay_ms: int = 0


@dataclass(frozen=True, slots=True)
class ExecutionEnd:
    status: ExecutionStatus
    output: Any = None
    error: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    """Decisions to apply in one transaction, `changes` in order."""

    changes: tuple[NodeChange, ...] = ()
    enqueue: tuple[Enqueue, ...] = ()
    finished: ExecutionEnd | None = None

    @property
    def queued(self) -> tuple[str, ...]:
        return tuple(item.node_id for item in self.enqueue)

    def status_of(self, node_id: str) -> NodeStatus | None:
        """The last status this plan gives `node_id`, if it changes it."""
        found = [change.status for change in self.changes if change.node_id == node_id]
        return found[-1] if found else None


@dataclass(frozen=True, slots=True)
class Rerun:
    """A re-run: insert `reused` rows as they were, every other node PENDING, then apply `plan`."""

    reused: Mapping[str, NodeState]
    plan: Plan


class _Board:
    """The snapshot plus this plan's changes; every change is checked against the transition table."""

    def __init__(self, graph: Graph, states: Mapping[str, NodeState]) -> None:
        self.graph = graph
        self._states = states
        self._overlay: dict[str, NodeState] = {}
        self.changes: list[NodeChange] = []
        self.enqueue: list[Enqueue] = []

    def state(self, node_id: str) -> NodeState:
        return self._overlay.get(node_id) or self._states.get(node_id) or NodeState()

    def apply(self, change: NodeChange) -> None:
        old = self.state(change.node_id)
        check_transition(old.status, change.status)
        self._overlay[change.node_id] = NodeState(
            status=change.status,
            attempt=old.attempt if change.attempt is None else change.attempt,
            output=change.output if change.output is not None else old.output,
            handles=old.handles if change.handles is None else change.handles,
            error=change.error if change.error is not None else old.error,
        )
        self.changes.append(change)

    def plan(self, finished: ExecutionEnd | None = None) -> Plan:
        return Plan(tuple(self.changes), tuple(self.enqueue), finished)


def plan_start(graph: Graph, trigger_node_id: str, trigger_output: Any) -> Plan:
    """The trigger succeeds with its data, other triggers are SKIPPED, ready successors QUEUED."""
    board = _Board(graph, {})
    board.apply(NodeChange(trigger_node_id, NodeStatus.SUCCEEDED, attempt=1, output=trigger_output))
    for other in graph.triggers:
        if other != trigger_node_id:
            board.apply(NodeChange(other, NodeStatus.SKIPPED))
    _settle(board, (t for trigger in graph.triggers for t in graph.successors(trigger)), trigger_node_id)
    return board.plan(_end_if_done(board))


def plan_after(
    graph: Graph,
    states: Mapping[str, NodeState],
    completed: Outcome,
    *,
    execution_status: ExecutionStatus = ExecutionStatus.RUNNING,
    rng: RandomSource | None = None,
) -> Plan:
    """Decisions after one attempt of `completed.node_id`, whose state in `states` is RUNNING/WAITING.

    Once the execution is terminal (cancelled, failed, timed out) the result is only recorded.
    """
    board = _Board(graph, states)
    node = graph.nodes[completed.node_id]
    if execution_status in EXECUTION_TERMINAL:
        return _record_only(board, completed)
    if completed.kind is OutcomeKind.WAITING:
        board.apply(NodeChange(node.id, NodeStatus.WAITING))
        return board.plan()
    if completed.kind is OutcomeKind.FAILED:
        return _after_failure(board, node, completed, rng)
    board.apply(NodeChange(node.id, NodeStatus.SUCCEEDED, output=completed.output, handles=completed.handles))
    return _continue(board, node.id)


def plan_cancel(graph: Graph, states: Mapping[str, NodeState]) -> Plan:
    """Nothing new starts; RUNNING nodes finish and are recorded (see plan_after)."""
    return _stop(_Board(graph, states), ExecutionEnd(ExecutionStatus.CANCELLED))


def plan_timeout(graph: Graph, states: Mapping[str, NodeState]) -> Plan:
    end = ExecutionEnd(ExecutionStatus.TIMED_OUT, error={"message": "execution timed out"})
    return _stop(_Board(graph, states), end)


def plan_rerun_from(graph: Graph, previous: Mapping[str, NodeState], from_node: str) -> Rerun:
    """Reuse every node strictly upstream of `from_node` that SUCCEEDED or was SKIPPED; run the rest."""
    if graph.nodes[from_node].is_trigger:
        raise ValueError("a re-run starts after the trigger; start a new execution instead")
    reusable = {NodeStatus.SUCCEEDED, NodeStatus.SKIPPED}
    reused = {
        node_id: previous[node_id]
        for node_id in graph.upstream_of(from_node)
        if node_id in previous and previous[node_id].status in reusable
    }
    board = _Board(graph, reused)
    for trigger in graph.triggers:
        if trigger not in reused:
            board.apply(NodeChange(trigger, NodeStatus.SKIPPED))
    _settle(board, (n for n in graph.order if n not in reused), None)
    return Rerun(reused, board.plan(_end_if_done(board)))


def _record_only(board: _Board, completed: Outcome) -> Plan:
    if completed.kind is OutcomeKind.SUCCEEDED:
        change = NodeChange(
            completed.node_id, NodeStatus.SUCCEEDED, output=completed.output, handles=completed.handles
        )
        board.apply(change)
    elif completed.kind is OutcomeKind.FAILED:
        board.apply(NodeChange(completed.node_id, NodeStatus.FAILED, error=completed.error))
    else:  # a wait that can never be resumed: park it, then cancel it
        board.apply(NodeChange(completed.node_id, NodeStatus.WAITING))
        board.apply(NodeChange(completed.node_id, NodeStatus.CANCELLED))
    return board.plan()


def _after_failure(board: _Board, node: Node, failed: Outcome, rng: RandomSource | None) -> Plan:
    error = dict(failed.error or {"message": "node failed"})
    if is_retryable(error) and node.retry.allows_another_attempt(failed.attempt):
        next_attempt = failed.attempt + 1
        board.apply(NodeChange(node.id, NodeStatus.QUEUED, attempt=next_attempt, error=error))
        board.enqueue.append(Enqueue(node.id, next_attempt, retry_delay_ms(failed.attempt, node.retry, rng)))
        return board.plan()
    if node.on_error is OnError.FAIL:
        board.apply(NodeChange(node.id, NodeStatus.FAILED, error=error))
        message = str(error.get("message", "node failed"))
        failure = {"nodeId": node.id, "message": message, "attempt": failed.attempt}
        return _stop(board, ExecutionEnd(ExecutionStatus.FAILED, error=failure))
    handle = ERROR_HANDLE if node.on_error is OnError.ERROR_OUTPUT else MAIN_HANDLE
    board.apply(
        NodeChange(node.id, NodeStatus.SUCCEEDED, output={"error": error}, error=error, handles=(handle,))
    )
    return _continue(board, node.id)


def is_retryable(error: Mapping[str, Any]) -> bool:
    """Only `retryable: false` stops retries: a 4xx, bad config or an oversized output fails the
    same way every time, so it goes straight to onError. Errors that do not say (a crash, an
    expired lease) are worth another attempt."""
    return error.get("retryable") is not False


def _continue(board: _Board, node_id: str) -> Plan:
    _settle(board, board.graph.successors(node_id), node_id)
    return board.plan(_end_if_done(board))


def _stop(board: _Board, end: ExecutionEnd) -> Plan:
    for node_id in board.graph.order:
        if board.state(node_id).status in _CANCELLABLE:
            board.apply(NodeChange(node_id, NodeStatus.CANCELLED))
    return board.plan(end)


def _settle(board: _Board, candidates: Iterable[str], arrived: str | None) -> None:
    """Queue or skip every PENDING candidate whose inputs are resolved; skips propagate downstream."""
    rank = board.graph.rank
    heap = [(rank[node_id], node_id) for node_id in dict.fromkeys(candidates)]
    heapq.heapify(heap)
    while heap:
        _, node_id = heapq.heappop(heap)
        if board.state(node_id).status is not NodeStatus.PENDING:
            continue
        decision = _readiness(board, board.graph.nodes[node_id])
        if decision is None:
            continue
        if decision:
            arrivals = [(source, board.state(source).output) for source in dict.fromkeys(decision)]
            node = board.graph.nodes[node_id]
            payload = node_input(node.type, node.config, arrivals, arrived)
            board.apply(NodeChange(node_id, NodeStatus.QUEUED, attempt=1, input=payload))
            board.enqueue.append(Enqueue(node_id, 1))
        else:
            board.apply(NodeChange(node_id, NodeStatus.SKIPPED))
            for successor in board.graph.successors(node_id):
                heapq.heappush(heap, (rank[successor], successor))


def _readiness(board: _Board, node: Node) -> list[str] | None:
    """Live source ids when the node is ready, [] when it must be skipped, None while it waits."""
    live: list[str] = []
    unresolved = False
    for edge in board.graph.incoming[node.id]:
        liveness = _edge_liveness(board, edge)
        if liveness is True:
            live.append(edge.source)
        elif liveness is None:
            unresolved = True
    first_wins = node.type == MERGE_TYPE and merge_mode(node.config) == "first"
    if unresolved and not (first_wins and live):
        return None
    return live


def _edge_liveness(board: _Board, edge: Edge) -> bool | None:
    """True when live, False when dead, None while its source has not finished."""
    source = board.state(edge.source)
    if source.status is NodeStatus.SUCCEEDED:
        return edge.source_handle in source.handles
    if source.status in NODE_ACTIVE:
        return None
    return False


def _end_if_done(board: _Board) -> ExecutionEnd | None:
    """SUCCEEDED once nothing is active; the output is that of the leaves (see _execution_output)."""
    states = {node_id: board.state(node_id) for node_id in board.graph.order}
    if any(state.status in NODE_ACTIVE for state in states.values()):
        return None
    if any(state.status is NodeStatus.FAILED for state in states.values()):
        return ExecutionEnd(ExecutionStatus.FAILED, error={"message": "a node failed"})
    return ExecutionEnd(ExecutionStatus.SUCCEEDED, output=_execution_output(board.graph, states))


def _execution_output(graph: Graph, states: Mapping[str, NodeState]) -> Any:
    """The output of the one succeeded node none of whose successors succeeded, else {id: output}.

    Chosen over "last to finish" because it does not depend on timing, so re-runs agree.
    """
    succeeded = {n for n, state in states.items() if state.status is NodeStatus.SUCCEEDED}
    leaves = [n for n in graph.order if n in succeeded and succeeded.isdisjoint(graph.successors(n))]
    if len(leaves) == 1:
        return states[leaves[0]].output
    return {leaf: states[leaf].output for leaf in leaves}
