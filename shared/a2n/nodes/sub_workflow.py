"""sub_workflow: runs another workflow of the workspace as a child execution and waits for it.

The parent node is WAITING until the child ends; its output is the child's output.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from a2n.nodes.config import NodeConfig
from a2n.nodes.context import ChildRequest, NodeContext, NodeFailed, NodeResult, parse_config, render_config
from a2n.nodes.spec import NodeSpec


class SubWorkflowConfig(NodeConfig):
    """Which workflow, and the input its trigger receives (templates allowed)."""

    workflowId: Annotated[str, Field(min_length=1, max_length=64)]
    input: Any = None


SPEC = NodeSpec(
    type="sub_workflow",
    name="Sub-workflow",
    category="flow",
    description="Runs another workflow with the given input and outputs that execution's output.",
    config_model=SubWorkflowConfig,
    output_schema={"description": "The child execution's output (any JSON value)."},
)


def run(ctx: NodeContext) -> NodeResult:
    """A ChildRequest with the rendered workflow id and input (the node's own input by default)."""
    config = parse_config(SubWorkflowConfig, ctx)
    workflow_id = render_config(config.workflowId, ctx)
    if not isinstance(workflow_id, str) or not workflow_id:
        raise NodeFailed("'workflowId' must render to a non-empty string")
    child_input = ctx.input if config.input is None else render_config(config.input, ctx)
    return NodeResult(child=ChildRequest(workflow_id=workflow_id, input=child_input))
