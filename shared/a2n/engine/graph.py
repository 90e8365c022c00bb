"""The workflow graph as an immutable value built once per definition version.

Also the structural checks (ids, connections, cycles, triggers, reachability) that the workflow
validator reports as JSON-pointer problems.
"""

from __future__ import annotations

import graphlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from a2n.engine.backoff import RetryPolicy

TRIGGER_PREFIX = "trigger."
MAIN_HANDLE = "main"
ERROR_HANDLE = "error"

Problem = tuple[str, str]


class OnError(StrEnum):
    FAIL = "fail"
    CONTINUE = "continue"
    ERROR_OUTPUT = "errorOutput"


class InvalidGraph(ValueError):
    """The definition has structural problems; callers should have validated it on save."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("; ".join(f"{pointer}: {message}" for pointer, message in problems))
        self.problems = list(problems)


@dataclass(frozen=True, slots=True)
class Node:
    id: str
    type: str
    config: Mapping[str, Any] = field(default_factory=dict)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    on_error: OnError = OnError.FAIL
    timeout_ms: int | None = None
    name: str | None = None
    credential_id: str | None = None

    @property
    def is_trigger(self) -> bool:
        return self.type.startswith(TRIGGER_PREFIX)


@dataclass(frozen=True, slots=True)
class Edge:
    source: str
    target: str
    source_handle: str = MAIN_HANDLE
    target_handle: str = MAIN_HANDLE


@dataclass(frozen=True, slots=True)
class Graph:
    """Nodes, edges and the adjacency the planner walks; never mutated after construction."""

    nodes: Mapping[str, Node]
    edges: tuple[Edge, ...]
    incoming: Mapping[str, tuple[Edge, ...]]
    outgoing: Mapping[str, tuple[Edge, ...]]
    order: tuple[str, ...]  # a topological order; ties broken by definition order
    rank: Mapping[str, int]  # node id -> position in `order`, for deterministic work lists

    @property
    def triggers(self) -> tuple[str, ...]:
        return tuple(node_id for node_id in self.order if self.nodes[node_id].is_trigger)

    def predecessors(self, node_id: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(edge.source for edge in self.incoming[node_id]))

    def successors(self, node_id: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(edge.target for edge in self.outgoing[node_id]))

    def upstream_of(self, node_id: str) -> frozenset[str]:
        """Every node with a path to `node_id`, excluding the node itself."""
        seen: set[str] = set()
        stack = list(self.predecessors(node_id))
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(self.predecessors(current))
        return frozenset(seen)

    @classmethod
    def from_definition(cls, definition: Mapping[str, Any]) -> Graph:
        problems = _fatal_problems(definition)
        if problems:
            raise InvalidGraph(problems)
        workflow_retry = (definition.get("settings") or {}).get("retry")
        nodes = {raw["id"]: _node_from(raw, workflow_retry) for raw in definition["nodes"]}
        edges = tuple(_edge_from(raw) for raw in definition.get("connections") or ())
        incoming: dict[str, list[Edge]] = {node_id: [] for node_id in nodes}
        outgoing: dict[str, list[Edge]] = {node_id: [] for node_id in nodes}
        for edge in edges:
            incoming[edge.target].append(edge)
            outgoing[edge.source].append(edge)
        order = _topological_order(list(nodes), edges)
        return cls(
            nodes=nodes,
            edges=edges,
            incoming={k: tuple(v) for k, v in incoming.items()},
            outgoing={k: tuple(v) for k, v in outgoing.items()},
            order=order,
            rank={node_id: index for index, node_id in enumerate(order)},
        )


def _node_from(raw: Mapping[str, Any], workflow_retry: Mapping[str, Any] | None) -> Node:
    return Node(
        id=raw["id"],
        type=raw["type"],
        config=raw.get("config") or {},
        retry=RetryPolicy.from_definition(raw.get("retry"), workflow_retry),
        on_error=OnError(raw.get("onError") or OnError.FAIL),
        timeout_ms=raw.get("timeoutMs"),
        name=raw.get("name"),
        credential_id=raw.get("credentialId"),
    )


def _edge_from(raw: Mapping[str, Any]) -> Edge:
    return Edge(
        source=raw["source"],
        target=raw["target"],
        source_handle=raw.get("sourceHandle") or MAIN_HANDLE,
        target_handle=raw.get("targetHandle") or MAIN_HANDLE,
    )


def _topological_order(node_ids: list[str], edges: Sequence[Edge]) -> tuple[str, ...]:
    # Kahn's algorithm with definition order as the tie-break keeps plans reproducible.
    position = {node_id: index for index, node_id in enumerate(node_ids)}
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for node_id in node_ids:
        sorter.add(node_id)
    for edge in edges:
        sorter.add(edge.target, edge.source)
    sorter.prepare()
    order: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready(), key=position.__getitem__)
        order.extend(ready)
        sorter.done(*ready)
    return tuple(order)


def structural_problems(definition: Mapping[str, Any]) -> list[Problem]:
    """Every structural problem at once, as (JSON pointer, message), in a stable order."""
    problems = _fatal_problems(definition)
    if problems:
        return problems  # triggers and reachability are meaningless over a broken graph
    return _trigger_problems(definition["nodes"], definition.get("connections") or [])


def _fatal_problems(definition: Mapping[str, Any]) -> list[Problem]:
    """Problems that make a graph impossible to build: bad nodes, dangling edges, cycles."""
    nodes = definition.get("nodes")
    connections = definition.get("connections")
    if not isinstance(nodes, list):
        return [("/nodes", "must be an array of nodes")]
    if connections is not None and not isinstance(connections, list):
        return [("/connections", "must be an array of connections")]
    problems, positions = _node_problems(nodes)
    edge_problems, edges = _connection_problems(connections or [], positions)
    problems += edge_problems
    if problems:
        return problems  # a cycle check over dangling edges would only add noise
    return _cycle_problems(positions, edges)


def _node_problems(nodes: list[Any]) -> tuple[list[Problem], dict[str, int]]:
    problems: list[Problem] = []
    positions: dict[str, int] = {}
    for index, node in enumerate(nodes):
        if not isinstance(node, Mapping):
            problems.append((f"/nodes/{index}", "must be an object"))
            continue
        node_id, node_type = node.get("id"), node.get("type")
        if not isinstance(node_id, str) or not node_id:
            problems.append((f"/nodes/{index}/id", "must be a non-empty string"))
        elif node_id in positions:
            problems.append((f"/nodes/{index}/id", f"duplicate node id {node_id!r}"))
        else:
            positions[node_id] = index
        if not isinstance(node_type, str) or not node_type:
            problems.append((f"/nodes/{index}/type", "must be a non-empty string"))
        on_error = node.get("onError")
        if on_error is not None and on_error not in tuple(OnError):
            problems.append((f"/nodes/{index}/onError", "must be one of fail, continue, errorOutput"))
    return problems, positions


def _connection_problems(
    connections: list[Any], positions: Mapping[str, int]
) -> tuple[list[Problem], list[tuple[int, str, str]]]:
    problems: list[Problem] = []
    edges: list[tuple[int, str, str]] = []
    for index, connection in enumerate(connections):
        if not isinstance(connection, Mapping):
            problems.append((f"/connections/{index}", "must be an object"))
            continue
        ends_ok = True
        for end in ("source", "target"):
            end_id = connection.get(end)
            if not isinstance(end_id, str) or end_id not in positions:  # lists would not even hash
                problems.append((f"/connections/{index}/{end}", f"unknown node {connection.get(end)!r}"))
                ends_ok = False
        for handle in ("sourceHandle", "targetHandle"):
            value = connection.get(handle)
            if value is not None and (not isinstance(value, str) or not value):
                problems.append((f"/connections/{index}/{handle}", "must be a non-empty string"))
        if ends_ok:
            edges.append((index, connection["source"], connection["target"]))
    return problems, edges


def _cycle_problems(positions: Mapping[str, int], edges: list[tuple[int, str, str]]) -> list[Problem]:
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for node_id in positions:
        sorter.add(node_id)
    for _, source, target in edges:
        sorter.add(target, source)
    try:
        sorter.prepare()
    except graphlib.CycleError as error:
        cycle: list[str] = error.args[1]
        first = min(cycle, key=positions.__getitem__)
        return [(f"/nodes/{positions[first]}", "cycle: " + " -> ".join(cycle))]
    return []


def _trigger_problems(nodes: list[Any], connections: list[Any]) -> list[Problem]:
    positions = {node["id"]: index for index, node in enumerate(nodes)}
    edges = [(index, c["source"], c["target"]) for index, c in enumerate(connections)]
    triggers = [n["id"] for n in nodes if str(n["type"]).startswith(TRIGGER_PREFIX)]
    if not triggers:
        return [("/nodes", "at least one trigger node (type trigger.*) is required")]
    problems: list[Problem] = []
    for index, _source, target in edges:
        if target in triggers:
            problems.append((f"/connections/{index}/target", f"trigger {target!r} cannot have inputs"))
    successors: dict[str, list[str]] = {node_id: [] for node_id in positions}
    for _, source, target in edges:
        successors[source].append(target)
    reached = set(triggers)
    stack = list(triggers)
    while stack:
        for target in successors[stack.pop()]:
            if target not in reached:
                reached.add(target)
                stack.append(target)
    for node_id, index in positions.items():
        if node_id not in reached:
            problems.append((f"/nodes/{index}", f"node {node_id!r} is unreachable from any trigger"))
    return problems
