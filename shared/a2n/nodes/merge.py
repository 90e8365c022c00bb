"""merge: joins branches — wait for all and combine, or pass on the first to arrive.

Combining happens in the planner's input assembly; this module declares the contract.
"""

from __future__ import annotations

from typing import Literal

from a2n.nodes.config import NodeConfig
from a2n.nodes.context import NodeContext, NodeResult
from a2n.nodes.spec import NodeSpec


class MergeConfig(NodeConfig):
    """object: ``{sourceId: output}``; append: concatenated arrays; first: the first input."""

    mode: Literal["object", "append", "first"] = "object"


SPEC = NodeSpec(
    type="merge",
    pure=True,
    name="Merge",
    category="flow",
    description="Joins branches: an object keyed by source node, concatenated arrays, or the first input.",
    config_model=MergeConfig,
    output_schema={
        "oneOf": [
            {"type": "object", "description": "mode object: {sourceNodeId: output}"},
            {"type": "array", "description": "mode append: the inputs' arrays concatenated"},
            {"description": "mode first: the first input to arrive"},
        ]
    },
)


def run(ctx: NodeContext) -> NodeResult:
    """The planner already combined the inputs by ``mode`` (a2n.engine.inputs.merged); pass them on."""
    return NodeResult(output=ctx.input)
