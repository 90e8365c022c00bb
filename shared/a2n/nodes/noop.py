"""noop: passes its input on unchanged (a join point or a placeholder).

No config.
"""

from __future__ import annotations

from a2n.nodes.config import NodeConfig
from a2n.nodes.context import NodeContext, NodeResult
from a2n.nodes.spec import NodeSpec


class NoopConfig(NodeConfig):
    """No settings."""


SPEC = NodeSpec(
    type="noop",
    pure=True,
    name="No operation",
    category="flow",
    description="Does nothing; outputs its input.",
    config_model=NoopConfig,
    output_schema={"description": "Its input, unchanged."},
)


def run(ctx: NodeContext) -> NodeResult:
    """Passes the input on."""
    return NodeResult(output=ctx.input)
