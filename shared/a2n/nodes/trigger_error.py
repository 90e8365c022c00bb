"""trigger.error: starts an error workflow when a workflow that names it in ``settings.errorWorkflowId``
fails or times out.

Its output is the failed run, described by ``ERROR_PAYLOAD_SCHEMA`` (also the node type's output
schema in ``GET /node-types``); `a2n.execution.links.error_trigger_data` builds it.
"""

from __future__ import annotations

from typing import Any

from a2n.nodes.config import NodeConfig
from a2n.nodes.spec import NodeSpec

ERROR_TRIGGER = "trigger.error"

ERROR_PAYLOAD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["execution", "workflow"],
    "properties": {
        "execution": {
            "type": "object",
            "description": "The run that failed",
            "required": ["id", "workflowId", "status", "mode", "error", "failedNode"],
            "properties": {
                "id": {"type": "string", "format": "uuid", "description": "GET /executions/{id} reads it"},
                "workflowId": {"type": "string", "format": "uuid"},
                "status": {"enum": ["FAILED", "TIMED_OUT"]},
                "mode": {
                    "type": "string",
                    "description": "How it started: manual, webhook, schedule, poll, retry or sub",
                },
                "error": {
                    "type": "object",
                    "description": "The execution's error: message, the failing nodeId, retryable …",
                    "properties": {"message": {"type": "string"}, "nodeId": {"type": "string"}},
                },
                "failedNode": {
                    "type": ["string", "null"],
                    "description": "The id of the node that failed (null for a time-out)",
                },
            },
        },
        "workflow": {
            "type": "object",
            "description": "The workflow of the run that failed",
            "required": ["id", "name"],
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "name": {"type": "string"},
            },
        },
    },
}


class ErrorTriggerConfig(NodeConfig):
    """No settings: the failed run supplies the data."""


SPEC = NodeSpec(
    type=ERROR_TRIGGER,
    name="Error trigger",
    category="trigger",
    description=(
        "Starts this workflow when another workflow whose settings.errorWorkflowId names it fails or "
        "times out; outputs {execution: {id, workflowId, status, mode, error, failedNode}, "
        "workflow: {id, name}}."
    ),
    config_model=ErrorTriggerConfig,
    output_schema=ERROR_PAYLOAD_SCHEMA,
    inputs=(),
    is_trigger=True,
)
