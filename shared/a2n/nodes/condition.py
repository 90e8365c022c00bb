"""condition: routes its input to handle ``true`` or ``false`` by a JMESPath expression.

The expression is bare JMESPath (no ``{{ }}``); JMESPath truthiness decides the handle.
"""

from __future__ import annotations

from a2n.errors import Problem
from a2n.nodes.config import ExpressionText, NodeConfig, bare_expression_problems
from a2n.nodes.context import NodeContext, NodeResult, expression_failed, expression_limits, parse_config
from a2n.nodes.spec import NodeSpec


class ConditionConfig(NodeConfig):
    """The test, evaluated against the expression context."""

    expression: ExpressionText


def _config_problems(config: ConditionConfig, pointer: str) -> list[Problem]:
    return bare_expression_problems(config.expression, f"{pointer}/expression")


SPEC = NodeSpec(
    type="condition",
    pure=True,
    name="Condition",
    category="flow",
    description="Passes its input on through handle 'true' when the expression is truthy, else 'false'.",
    config_model=ConditionConfig,
    output_schema={"description": "Its input, unchanged."},
    outputs=("true", "false"),
    config_problems=_config_problems,
)


def run(ctx: NodeContext) -> NodeResult:
    """Its input, through ``true`` when the expression is truthy, else ``false``."""
    from a2n.engine.expressions import ExpressionError
    from a2n.engine.routing import condition_handles

    config = parse_config(ConditionConfig, ctx)
    try:
        handles = condition_handles(config.model_dump(), ctx.expression_context, expression_limits())
    except ExpressionError as error:
        raise expression_failed(error) from None
    return NodeResult(output=ctx.input, handles=handles)
