"""Workflow definitions drawn as arrow chains, so each test shows its graph at a glance.

    trigger > a > c          one chain per line (or separated by `;`)
    cond.true > x            `node.handle` sets the source handle of the edge leaving `node`
Node types come from the id's prefix: trigger*, cond*, switch*, merge*; anything else is `noop`.
"""

from __future__ import annotations

import itertools
from typing import Any

_TYPES = {"trigger": "trigger.manual", "cond": "condition", "switch": "switch", "merge": "merge"}


def draw(picture: str, **nodes: dict[str, Any]) -> dict[str, Any]:
    """A definition from `picture`; keyword arguments add fields to a node (`a={"onError": …}`)."""
    order: list[str] = []
    connections: list[dict[str, Any]] = []
    for line in picture.replace(";", "\n").splitlines():
        hops = [hop.strip() for hop in line.split(">") if hop.strip()]
        for source, target in itertools.pairwise(hops):
            source_id, _, handle = source.partition(".")
            target_id = target.partition(".")[0]
            edge: dict[str, Any] = {"source": source_id, "target": target_id}
            if handle:
                edge["sourceHandle"] = handle
            connections.append(edge)
        for hop in hops:
            if hop.partition(".")[0] not in order:
                order.append(hop.partition(".")[0])
    for extra in nodes:
        if extra not in order:
            order.append(extra)
    return {
        "nodes": [_node(node_id, nodes.get(node_id, {})) for node_id in order],
        "connections": connections,
    }


def _node(node_id: str, extra: dict[str, Any]) -> dict[str, Any]:
    node_type = next((t for prefix, t in _TYPES.items() if node_id.startswith(prefix)), "noop")
    return {"id": node_id, "type": node_type, "config": {}, **extra}
