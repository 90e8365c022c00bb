"""switch: routes its input to the first case whose expression is truthy, else to ``default``.

Its output handles come from its config (each case's ``handle`` plus ``default``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field

from a2n.errors import Problem
from a2n.nodes.config import ExpressionText, HandleName, NodeConfig, bare_expression_problems
from a2n.nodes.context import (
    NodeContext,
    NodeFailed,
    NodeResult,
    expression_failed,
    expression_limits,
    parse_config,
)
from a2n.nodes.spec import ERROR_HANDLE, NodeSpec


class SwitchCase(NodeConfig):
    """One route: a handle name and the bare JMESPath test that selects it."""

    handle: HandleName
    expression: ExpressionText


class SwitchConfig(NodeConfig):
    """Cases are tried in order; ``default`` names the handle used when none matches."""

    cases: Annotated[list[SwitchCase], Field(min_length=1, max_length=64)]
    default: HandleName | None = None


def _config_problems(config: SwitchConfig, pointer: str) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, case in enumerate(config.cases):
        case_pointer = f"{pointer}/cases/{index}"
        if case.handle == ERROR_HANDLE:
            problems.append(Problem(f"{case_pointer}/handle", "'error' is reserved for onError routing"))
        elif case.handle in seen:
            problems.append(Problem(f"{case_pointer}/handle", f"duplicate handle '{case.handle}'"))
        seen.add(case.handle)
        problems += bare_expression_problems(case.expression, f"{case_pointer}/expression")
    if config.default == ERROR_HANDLE:
        problems.append(Problem(f"{pointer}/default", "'error' is reserved for onError routing"))
    elif config.default in seen:
        problems.append(Problem(f"{pointer}/default", f"default handle '{config.default}' is also a case"))
    return problems


def _handles(config: Mapping[str, Any]) -> list[str]:
    # Read leniently: handles of a half-valid config still help to report the right problem.
    cases = config.get("cases")
    handles = [c["handle"] for c in cases if isinstance(c, dict)] if isinstance(cases, list) else []
    handles.append(config.get("default"))
    return [h for h in dict.fromkeys(handles) if isinstance(h, str)]


SPEC = NodeSpec(
    type="switch",
    pure=True,
    name="Switch",
    category="flow",
    description="Passes its input on through the handle of the first matching case, else the default handle.",
    config_model=SwitchConfig,
    output_schema={"description": "Its input, unchanged."},
    outputs=(),
    config_problems=_config_problems,
    dynamic_outputs=_handles,
)


def run(ctx: NodeContext) -> NodeResult:
    """Its input, through the first truthy case's handle, else ``default``; the choice is the
    engine's (a2n.engine.routing) so a run and the planner can never disagree."""
    from a2n.engine.expressions import ExpressionError
    from a2n.engine.routing import switch_handles

    config = parse_config(SwitchConfig, ctx)
    try:
        handles = switch_handles(config.model_dump(), ctx.expression_context, expression_limits())
    except ExpressionError as error:
        raise expression_failed(error) from None
    if not handles:
        raise NodeFailed("no case matched and the switch has no default")
    return NodeResult(output=ctx.input, handles=handles)
