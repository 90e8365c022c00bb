"""Validation of a workflow definition on save: every problem at once, each with a JSON pointer.

Order: size limits (iterative, so hostile input stays cheap), document shape, each node against
its type, graph structure (the engine's checks), connection handles. Pointers start at
``pointer_prefix`` so they point into the request body.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from pydantic import ValidationError

from a2n.errors import Problem, ValidationFailed
from a2n.nodes.registry import get_spec, output_handles
from a2n.nodes.spec import NodeSpec
from a2n.workflows import pointers
from a2n.workflows.definition import WorkflowDefinition
from a2n.workflows.limits import limit_problems


def validate_definition(definition: Any, *, pointer_prefix: str = "/definition") -> list[Problem]:
    """Every problem of ``definition`` (parsed JSON); an empty list means it may be saved."""
    limits = limit_problems(definition, pointer_prefix)
    if limits:
        return limits
    problems = _shape_problems(definition)
    if isinstance(definition, Mapping):
        nodes = _node_list(definition)
        node_problems, sound = _nodes_problems(nodes)
        problems += node_problems
        problems += _without_reported(_structural_problems(definition), problems)
        problems += _handle_problems(nodes, _connection_list(definition), sound)
    unique = dict.fromkeys(problems)
    return [replace(p, pointer=pointer_prefix + p.pointer) for p in unique]


def ensure_valid_definition(definition: Any, *, pointer_prefix: str = "/definition") -> None:
    """Raise ``ValidationFailed`` (422, every problem listed) unless ``definition`` may be saved."""
    problems = validate_definition(definition, pointer_prefix=pointer_prefix)
    if problems:
        raise ValidationFailed(problems, "the workflow definition is invalid")


def _shape_problems(definition: Any) -> list[Problem]:
    try:
        WorkflowDefinition.model_validate(definition)
    except ValidationError as error:
        return pointers.from_validation_error(error, "")
    return []


def _node_list(definition: Mapping[str, Any]) -> list[Mapping[str, Any] | None]:
    nodes = definition.get("nodes")
    if not isinstance(nodes, list):
        return []
    return [node if isinstance(node, Mapping) else None for node in nodes]


def _connection_list(definition: Mapping[str, Any]) -> list[Any]:
    connections = definition.get("connections")
    return connections if isinstance(connections, list) else []


def _nodes_problems(nodes: list[Mapping[str, Any] | None]) -> tuple[list[Problem], set[int]]:
    """Problems of each node against its type, and the indexes whose config is valid."""
    problems: list[Problem] = []
    sound: set[int] = set()
    for index, node in enumerate(nodes):
        spec = get_spec(node["type"]) if node is not None and isinstance(node.get("type"), str) else None
        if node is None or spec is None:
            if node is not None and isinstance(node.get("type"), str):
                problems.append(Problem(f"/nodes/{index}/type", f"unknown node type {node['type']!r}"))
            continue
        found = _node_type_problems(spec, node, f"/nodes/{index}")
        if not found:
            sound.add(index)
        problems += found
    return problems, sound


def single_node_problems(node: Mapping[str, Any], pointer: str) -> list[Problem]:
    """One node on its own (a node template): its type is known and its config fits that type."""
    spec = get_spec(node["type"]) if isinstance(node.get("type"), str) else None
    if spec is None:
        return [Problem(f"{pointer}/type", f"unknown node type {node.get('type')!r}")]
    return _node_type_problems(spec, node, pointer)


def _node_type_problems(spec: NodeSpec, node: Mapping[str, Any], pointer: str) -> list[Problem]:
    problems: list[Problem] = []
    if node.get("credentialId") is not None and not spec.accepts_credentials:
        problems.append(Problem(f"{pointer}/credentialId", f"node type {spec.type!r} takes no credential"))
    config = node.get("config", {})
    if not isinstance(config, Mapping):
        return problems  # the shape check reports it
    config_pointer = f"{pointer}/config"
    try:
        model = spec.config_model.model_validate(config)
    except ValidationError as error:
        problems += pointers.from_validation_error(error, config_pointer)
    else:
        if spec.config_problems is not None:
            problems += spec.config_problems(model, config_pointer)
    templated = {key: value for key, value in config.items() if key not in spec.literal_fields}
    return problems + _template_problems(templated, config_pointer)


def _template_problems(config: Mapping[str, Any], pointer: str) -> list[Problem]:
    from a2n.engine.expressions import expression_problems

    return [Problem(p.pointer, p.message, p.line, p.column) for p in expression_problems(config, pointer)]


def _structural_problems(definition: Mapping[str, Any]) -> list[Problem]:
    from a2n.engine.graph import structural_problems

    if not _hashable_ends(definition):
        return []  # ids of a wrong type: the shape check has reported them
    return [Problem(where, message) for where, message in structural_problems(definition)]


def _hashable_ends(definition: Mapping[str, Any]) -> bool:
    values = [
        c.get(end)
        for c in _connection_list(definition)
        if isinstance(c, Mapping)
        for end in ("source", "target")
    ]
    values += [n.get("id") for n in _node_list(definition) if n is not None]
    return all(value is None or isinstance(value, str | int | float | bool) for value in values)


def _without_reported(found: list[Problem], reported: list[Problem]) -> list[Problem]:
    # The shape check and the graph check both see e.g. a missing id; one message per place.
    taken = {p.pointer for p in reported}
    return [p for p in found if p.pointer not in taken]


def _handle_problems(
    nodes: list[Mapping[str, Any] | None], connections: list[Any], sound: set[int]
) -> list[Problem]:
    """Source handles must exist on the source node; target handles on the target's inputs.

    Connections whose ends are unknown, or whose source's handles depend on an invalid config,
    were already reported elsewhere and are skipped."""
    by_id = {
        n["id"]: i
        for i, n in reversed(list(enumerate(nodes)))
        if n is not None and isinstance(n.get("id"), str)
    }
    problems: list[Problem] = []
    for index, connection in enumerate(connections):
        if not isinstance(connection, Mapping):
            continue
        source, target = connection.get("source"), connection.get("target")
        if not isinstance(source, str) or not isinstance(target, str):
            continue
        source_index, target_index = by_id.get(source), by_id.get(target)
        if source_index is None or target_index is None:
            continue
        pointer = f"/connections/{index}"
        problems += _source_handle_problems(nodes[source_index], connection, pointer, source_index in sound)
        problems += _target_handle_problems(nodes[target_index], connection, pointer)
    return problems


def _source_handle_problems(
    node: Mapping[str, Any] | None, connection: Mapping[str, Any], pointer: str, config_valid: bool
) -> list[Problem]:
    spec = get_spec(str(node.get("type"))) if node is not None else None
    if node is None or spec is None or (spec.dynamic_outputs is not None and not config_valid):
        return []
    handle = connection.get("sourceHandle") or "main"
    handles = output_handles(node)
    if handle in handles:
        return []
    listed = ", ".join(handles) or "none"
    return [
        Problem(
            f"{pointer}/sourceHandle",
            f"node {node['id']!r} ({spec.type}) has no output handle {handle!r}; its handles: {listed}",
        )
    ]


def _target_handle_problems(
    node: Mapping[str, Any] | None, connection: Mapping[str, Any], pointer: str
) -> list[Problem]:
    spec = get_spec(str(node.get("type"))) if node is not None else None
    handle = connection.get("targetHandle")
    # A trigger has no inputs at all; the graph check reports connections into it.
    if spec is None or not spec.inputs or handle is None or handle in spec.inputs:
        return []
    return [Problem(f"{pointer}/targetHandle", f"node type {spec.type} has no input handle {handle!r}")]
