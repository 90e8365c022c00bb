"""respond_webhook: sets the response a synchronous webhook call answers with.

Outside a sync webhook execution it only records the response it would have sent.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import Field

from a2n.nodes.config import NodeConfig
from a2n.nodes.context import NodeContext, NodeFailed, NodeResult, parse_config, render_config
from a2n.nodes.spec import NodeSpec


class RespondWebhookConfig(NodeConfig):
    """Status, headers and body (templates allowed)."""

    status: Annotated[int, Field(ge=100, le=599)] = 200
    headers: dict[str, Annotated[str, Field(max_length=8192)]] | None = None
    body: Any


SPEC = NodeSpec(
    type="respond_webhook",
    name="Respond to webhook",
    category="core",
    description="Sets the synchronous webhook response; outputs the response it set.",
    config_model=RespondWebhookConfig,
    output_schema={
        "type": "object",
        "properties": {
            "status": {"type": "integer"},
            "headers": {"type": "object", "additionalProperties": {"type": "string"}},
            "body": {},
        },
        "required": ["status", "headers", "body"],
    },
)


def run(ctx: NodeContext) -> NodeResult:
    """The rendered response, as output and as the webhook response the trigger answers with."""
    config = parse_config(RespondWebhookConfig, ctx)
    headers = render_config(config.headers or {}, ctx)
    response = {
        "status": config.status,
        "headers": {str(name): _header_text(name, value) for name, value in headers.items()},
        "body": render_config(config.body, ctx),
    }
    return NodeResult(output=response, webhook_response=response)


def _header_text(name: str, value: Any) -> str:
    if isinstance(value, dict | list) or value is None:
        raise NodeFailed(f"header '{name}' must render to a string, number or boolean")
    text = value if isinstance(value, str) else json.dumps(value)
    if "\r" in text or "\n" in text:
        raise NodeFailed(f"header '{name}' contains a line break")  # header injection
    return text
