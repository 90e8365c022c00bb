"""The node reference (docs/nodes.md): each type's contract rendered from its registry spec —
handles, whether it runs inline, its config fields and its output — for the region under the
type's hand-written section. A type without a section gets one appended, for its author to fill."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from a2n.docs.regions import empty_region
from a2n.docs.schemas import code, one_line, property_rows, ref_name, type_text
from a2n.nodes.registry import all_specs, get_spec
from a2n.nodes.spec import ERROR_HANDLE, NodeSpec

REGION_PREFIX = "node "


def render_node(node_type: str) -> str:
    """The generated part of one node type's section."""
    spec = get_spec(node_type)
    if spec is None:
        raise KeyError(f"docs/nodes.md has a section for unknown node type '{node_type}'; remove it")
    schema = spec.config_model.model_json_schema()
    lines = [
        _facts(spec),
        "",
        f"**Config** ({code(spec.config_model.__name__)}): {one_line(schema.get('description', ''))}",
        "",
    ]
    lines += _object(schema) or ["No fields: `{}`."]
    for name, definition in (schema.get("$defs") or {}).items():
        lines += [
            "",
            f"{code(name)}: {one_line(definition.get('description', ''))}",
            "",
            *_object(definition),
        ]
    lines += ["", f"**Output**: {one_line(spec.output_schema.get('description', ''))}".rstrip()]
    rows = _object(spec.output_schema)
    if rows:
        lines += ["", *rows]
    alternatives = spec.output_schema.get("oneOf") or spec.output_schema.get("anyOf") or []
    if alternatives:
        lines += ["", *(f"- {_alternative(part)}" for part in alternatives)]
    return "\n".join(lines).rstrip() + "\n"


def _alternative(schema: Mapping[str, Any]) -> str:
    kind = type_text({k: v for k, v in schema.items() if k != "description"}, lambda ref: code(ref_name(ref)))
    return f"{kind}: {one_line(schema.get('description', ''))}"


def missing_sections(existing: list[str]) -> str:
    """Skeleton sections for registry types the page does not cover yet (empty when none)."""
    covered = {name.removeprefix(REGION_PREFIX) for name in existing if name.startswith(REGION_PREFIX)}
    sections = [
        f"\n## {spec.type}\n\n{spec.description}\n\n{empty_region(REGION_PREFIX + spec.type)}\n"
        for spec in all_specs()
        if spec.type not in covered
    ]
    return "".join(sections)


def _facts(spec: NodeSpec) -> str:
    if spec.is_trigger:
        role = "trigger (starts the execution; no inputs)"
    elif spec.pure:
        role = "pure: runs inline, in the transaction that makes it ready"
    else:
        role = "does I/O: runs as a queued step in its own Lambda"
    outputs = (
        "derived from its config" if spec.dynamic_outputs is not None else ", ".join(map(code, spec.outputs))
    )
    inputs = ", ".join(map(code, spec.inputs)) if spec.inputs and not spec.is_trigger else "none"
    credentials = "takes a `credentialId`" if spec.accepts_credentials else "no credential"
    error = "" if spec.is_trigger else f" (plus {code(ERROR_HANDLE)} with `onError: errorOutput`)"
    return (
        f"`{spec.type}` ({spec.name}, category {spec.category}) · {role} · inputs: {inputs} · "
        f"output handles: {outputs}{error} · {credentials}."
    )


def _object(schema: Mapping[str, Any]) -> list[str]:
    return property_rows(schema, lambda ref: code(ref_name(ref)))
