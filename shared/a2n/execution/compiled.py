"""A pinned workflow version as the engine uses it, cached per container (a version never changes)."""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from a2n.engine.graph import MAIN_HANDLE, Graph
from a2n.engine.planner import NodeState
from a2n.engine.statuses import NodeStatus

if TYPE_CHECKING:
    from a2n.db.repositories.executions import ExecutionRepository, StoredNodeState

_GRAPH_CACHE_SIZE = 64


@dataclass(frozen=True, slots=True)
class CompiledWorkflow:
    """Immutable, so one instance serves every step of every execution of that version."""

    graph: Graph
    variables: Mapping[str, Any]
    settings: Mapping[str, Any]
    # integration nodes' manifests, attached per step by the claim (never in the shared cache).
    packages: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

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
