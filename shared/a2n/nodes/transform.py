"""transform: builds a JSON value from ``{{ }}`` templates over the expression context.

Templates are parsed at save like every config string.
"""

from __future__ import annotations

from typing import Any

from a2n.nodes.config import NodeConfig
from a2n.nodes.context import NodeContext, NodeResult, parse_config, render_config
from a2n.nodes.spec import NodeSpec


class TransformConfig(NodeConfig):
    """Any JSON value; each string may hold templates."""

    value: Any


SPEC = NodeSpec(
    type="transform",
    pure=True,
    name="Transform",
    category="data",
    description="Outputs a JSON value built from expressions over the trigger, inputs and node outputs.",
    config_model=TransformConfig,
    output_schema={"description": "The evaluated value (any JSON value)."},
)


def run(ctx: NodeContext) -> NodeResult:
    """The rendered ``value``."""
    config = parse_config(TransformConfig, ctx)
    return NodeResult(output=render_config(config.value, ctx))
