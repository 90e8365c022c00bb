"""A fake execution store for planner tests: applies plans to node states like the service would."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from a2n.engine.graph import Graph
from a2n.engine.planner import (
    ExecutionEnd,
    NodeState,
    Outcome,
    Plan,
    plan_after,
    plan_start,
)
from a2n.engine.statuses import ExecutionStatus, NodeStatus

from .drawing import draw


class Simulation:
    def __init__(self, picture: str, **nodes: dict[str, Any]) -> None:
        self.graph = Graph.from_definition(draw(picture, **nodes))
        self.states: dict[str, NodeState] = {node_id: NodeState() for node_id in self.graph.nodes}
        self.inputs: dict[str, Any] = {}
        self.end: ExecutionEnd | None = None
        self.status = ExecutionStatus.RUNNING

    def start(self, trigger_output: Any = None, trigger: str = "trigger") -> Plan:
        return self.apply(plan_start(self.graph, trigger, trigger_output))

    def claim(self, node_id: str) -> None:
        assert self.states[node_id].status is NodeStatus.QUEUED, f"{node_id} is not QUEUED"
        self.states[node_id] = replace(self.states[node_id], status=NodeStatus.RUNNING)

    def complete(self, outcome: Outcome, **options: Any) -> Plan:
        if self.states[outcome.node_id].status is NodeStatus.QUEUED:
            self.claim(outcome.node_id)
        plan = plan_after(self.graph, dict(self.states), outcome, execution_status=self.status, **options)
        return self.apply(plan)

    def succeed(self, node_id: str, output: Any = None, *handles: str) -> Plan:
        return self.complete(Outcome.succeeded(node_id, output, handles or ("main",)))

    def fail(self, node_id: str, message: str = "boom", attempt: int = 1) -> Plan:
        return self.complete(Outcome.failed(node_id, {"message": message}, attempt))

    def apply(self, plan: Plan) -> Plan:
        for change in plan.changes:
            old = self.states[change.node_id]
            self.states[change.node_id] = NodeState(
                status=change.status,
                attempt=old.attempt if change.attempt is None else change.attempt,
                output=old.output if change.output is None else change.output,
                handles=old.handles if change.handles is None else change.handles,
                error=old.error if change.error is None else change.error,
            )
            if change.status is NodeStatus.QUEUED and change.input is not None:
                self.inputs[change.node_id] = change.input
        if plan.finished is not None:
            assert self.end is None, "the execution finished twice"
            self.end = plan.finished
            self.status = plan.finished.status
        return plan

    def status_of(self, *node_ids: str) -> list[str]:
        return [str(self.states[node_id].status) for node_id in node_ids]
