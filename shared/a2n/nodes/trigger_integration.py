"""trigger.integration: an app trigger of an installed package — a provider's webhook (signature
preset, event filter) or a polling request — run by the webhook and poll machinery of the core
triggers: saving compiles it into a webhook or poll trigger row (``services.integrations.triggers``).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from a2n.nodes.config import NodeConfig
from a2n.nodes.integration import Identifier, PackageName, Version
from a2n.nodes.spec import NodeSpec
from a2n.nodes.trigger_schedule import ScheduleExpression, Timezone


class IntegrationTriggerAuth(NodeConfig):
    """The secret the provider signs (or sends) with; sealed on the trigger row at save."""

    secret: Annotated[str, Field(min_length=1, max_length=4096)] | None = None


class IntegrationTriggerConfig(NodeConfig):
    package: PackageName
    version: Version | None = None
    trigger: Identifier
    # Webhook triggers: the events that start this workflow (``issues`` or ``issues.opened``);
    # omitted = every event the trigger declares.
    events: (
        Annotated[list[Annotated[str, Field(min_length=1, max_length=100)]], Field(max_length=100)] | None
    ) = None
    auth: IntegrationTriggerAuth = Field(default_factory=IntegrationTriggerAuth)
    # Polling triggers: the input of the polling request, and an optional schedule override.
    input: dict[str, Any] = Field(default_factory=dict)
    expression: ScheduleExpression | None = None
    timezone: Timezone = "UTC"


SPEC = NodeSpec(
    type="trigger.integration",
    name="App trigger",
    category="trigger",
    description="Starts the workflow on an installed package's event (a provider webhook or a poll).",
    config_model=IntegrationTriggerConfig,
    output_schema={
        "description": "The provider's delivery {method, path, headers, query, body}, or one polled item."
    },
    inputs=(),
    is_trigger=True,
    accepts_credentials=True,
)
