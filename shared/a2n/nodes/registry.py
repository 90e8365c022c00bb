"""The built-in node types: lookup by type, the ``GET /node-types`` catalogue, output handles.

Node modules are imported on first use from a static table, so importing the registry costs
nothing and a node-step Lambda loads only its own type.
"""

from __future__ import annotations

import copy
import importlib
from collections.abc import Callable, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from a2n.nodes.spec import ERROR_HANDLE, NodeSpec

if TYPE_CHECKING:
    from a2n.nodes.context import NodeContext, NodeResult

Runner = Callable[["NodeContext"], "NodeResult"]

# type → module under a2n.nodes holding its SPEC (and, later, its run implementation).
NODE_MODULES: dict[str, str] = {
    "trigger.manual": "trigger_manual",
    "trigger.webhook": "trigger_webhook",
    "trigger.schedule": "trigger_schedule",
    "trigger.poll": "trigger_poll",
    "trigger.error": "trigger_error",
    "http_request": "http_request",
    "condition": "condition",
    "switch": "switch",
    "merge": "merge",
    "transform": "transform",
    "wait": "wait",
    "sub_workflow": "sub_workflow",
    "respond_webhook": "respond_webhook",
    "noop": "noop",
    "code": "code",
    "integration": "integration",
    "trigger.integration": "trigger_integration",
}


def get_spec(node_type: str) -> NodeSpec | None:
    """The spec of a built-in type, or None for an unknown type."""
    module_name = NODE_MODULES.get(node_type)
    if module_name is None:
        return None
    spec: NodeSpec = importlib.import_module(f"a2n.nodes.{module_name}").SPEC
    return spec


def get_runner(node_type: str) -> Runner:
    """The ``run`` of a type that the step service executes; triggers and unknown types raise
    KeyError (triggers complete at start, they never run as a step)."""
    module_name = NODE_MODULES.get(node_type)
    module = importlib.import_module(f"a2n.nodes.{module_name}") if module_name else None
    runner: Runner | None = getattr(module, "run", None)
    if runner is None:
        raise KeyError(f"node type '{node_type}' has no run implementation")
    return runner


@cache
def is_pure(node_type: str) -> bool:
    """Whether the type's spec declares it pure (no I/O, no credential): such nodes may run inline."""
    spec = get_spec(node_type)
    return spec is not None and spec.pure


def all_specs() -> list[NodeSpec]:
    """Every built-in type, in catalogue order."""
    return [spec for node_type in NODE_MODULES if (spec := get_spec(node_type)) is not None]


def node_type_catalogue() -> list[dict[str, Any]]:
    """The ``GET /node-types`` body (API.md): one entry per type with schemas and handles."""
    return copy.deepcopy(_catalogue())


@cache
def _catalogue() -> list[dict[str, Any]]:
    return [_catalogue_entry(spec) for spec in all_specs()]


def _catalogue_entry(spec: NodeSpec) -> dict[str, Any]:
    return {
        "type": spec.type,
        "name": spec.name,
        "category": spec.category,
        "description": spec.description,
        "isTrigger": spec.is_trigger,
        "acceptsCredentials": spec.accepts_credentials,
        "configSchema": spec.config_model.model_json_schema(),
        "outputSchema": dict(spec.output_schema),
        "handles": {
            "inputs": list(spec.inputs),
            "outputs": list(spec.outputs),
            # switch: outputs are its cases' handles plus default, read from each node's config.
            "dynamicOutputs": spec.dynamic_outputs is not None,
            # Any node with onError 'errorOutput' also has this handle.
            "errorOutput": ERROR_HANDLE,
        },
    }


def output_handles(node: Mapping[str, Any]) -> list[str]:
    """Output handles of one definition node (raw mapping): its type's, plus ``error`` when its
    ``onError`` is ``errorOutput``. Unknown types have none."""
    spec = get_spec(str(node.get("type")))
    if spec is None:
        return []
    config = node.get("config")
    handles = spec.handles_for(config if isinstance(config, Mapping) else {})
    if node.get("onError") == "errorOutput":
        handles.append(ERROR_HANDLE)
    return handles
