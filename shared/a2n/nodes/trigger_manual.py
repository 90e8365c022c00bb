"""trigger.manual: starts a workflow from ``POST /workflows/{id}/execute``.

Its output is the execute call's ``input``; it has no config.
"""

from __future__ import annotations

from a2n.nodes.config import NodeConfig
from a2n.nodes.spec import NodeSpec


class ManualTriggerConfig(NodeConfig):
    """No settings: the caller supplies the data."""


SPEC = NodeSpec(
    type="trigger.manual",
    name="Manual trigger",
    category="trigger",
    description="Starts the workflow on demand; outputs the input given to the execute call.",
    config_model=ManualTriggerConfig,
    output_schema={"description": "The execute call's input (any JSON value)."},
    inputs=(),
    is_trigger=True,
)
