"""integration: runs one action of an installed integration package (a manifest, not code).

The config names the package, the version the workflow was saved with, the action and its input;
the step loads that (immutable) manifest version and the interpreter in ``nodes.http.actions``
turns it into HTTP requests. One node type, one queue and one Lambda serve every package.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from a2n.nodes.config import NodeConfig
from a2n.nodes.context import NodeContext, NodeFailed, NodeResult, parse_config, render_config
from a2n.nodes.spec import NodeSpec

PackageName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")]
Version = Annotated[str, Field(min_length=5, max_length=64)]


class IntegrationConfig(NodeConfig):
    """Which action of which package version, and its input (strings may hold ``{{ }}``)."""

    package: PackageName
    # Filled in with the installed version when a workflow is saved without one.
    version: Version | None = None
    action: Identifier
    input: dict[str, Any] = Field(default_factory=dict)


SPEC = NodeSpec(
    type="integration",
    name="Integration action",
    category="core",
    description="Runs an action of an installed integration package (Slack, GitHub, Stripe …).",
    config_model=IntegrationConfig,
    output_schema={"description": "The action's mapped output (see the action's outputSchema)."},
    accepts_credentials=True,
)


def run(ctx: NodeContext) -> NodeResult:
    from a2n.nodes.http.actions import ActionCall, run_action

    config = parse_config(IntegrationConfig, ctx)
    manifest = ctx.package
    if (
        manifest is None
        or manifest.get("name") != config.package
        or manifest.get("version") != config.version
    ):
        raise NodeFailed(
            f"package {config.package!r} version {config.version!r} is not installed in this workspace "
            "(install it with POST /integrations)"
        )
    return run_action(ctx, ActionCall(manifest, config.action, render_config(config.input, ctx)))
