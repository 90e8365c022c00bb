"""respond_webhook: sets the response a synchronous webhook call answers with.

Outside a sync webhook execution it only records the response it would have sent.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from a2n.nodes.config import NodeConfig
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
