"""The workflow definition document (ARCHITECTURE §4) as strict pydantic models.

Node configs are plain objects here; each node type's own config model checks them
(see ``a2n.workflows.validation``). Unknown fields are rejected at every level.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_NODES = 500
# A node runs inside one Lambda invocation (≤ 15 min); waits make whole executions far longer.
MAX_NODE_TIMEOUT_MS = 900_000
MAX_WORKFLOW_TIMEOUT_MS = 366 * 24 * 3600 * 1000

NodeId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
HandleRef = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
ResourceId = Annotated[str, Field(min_length=1, max_length=64)]


class DefinitionModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class RetryConfig(DefinitionModel):
    """Attempts and backoff for a failing node (full jitter when ``jitter``)."""

    maxAttempts: Annotated[int, Field(ge=1, le=10)] = 1
    backoff: Literal["exponential", "fixed"] = "exponential"
    initialDelayMs: Annotated[int, Field(ge=0, le=86_400_000)] = 1000
    maxDelayMs: Annotated[int, Field(ge=0, le=86_400_000)] = 60_000
    jitter: bool = True


class Position(DefinitionModel):
    """Where an editor draws the node; ignored by the engine."""

    x: float
    y: float


class NodeDefinition(DefinitionModel):
    id: NodeId
    type: Annotated[str, Field(min_length=1, max_length=64)]
    name: Annotated[str, Field(max_length=200)] | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    credentialId: ResourceId | None = None
    retry: RetryConfig | None = None
    timeoutMs: Annotated[int, Field(ge=1, le=MAX_NODE_TIMEOUT_MS)] | None = None
    onError: Literal["fail", "continue", "errorOutput"] = "fail"
    position: Position | None = None


class Connection(DefinitionModel):
    """An edge from one node's output handle to another node's input handle (both default main)."""

    source: NodeId
    sourceHandle: HandleRef | None = None
    target: NodeId
    targetHandle: HandleRef | None = None


class WorkflowSettings(DefinitionModel):
    timeoutMs: Annotated[int, Field(ge=1000, le=MAX_WORKFLOW_TIMEOUT_MS)] | None = None
    errorWorkflowId: ResourceId | None = None
    maxConcurrency: Annotated[int, Field(ge=1, le=1000)] | None = None
    retry: RetryConfig | None = None
    # Pure nodes (condition, switch, merge, transform, noop, respond_webhook) run inside the transaction
    # that makes them ready; false: one queued step per node, as before "Execution core v2".
    inlinePureNodes: bool | None = None


class WorkflowDefinition(DefinitionModel):
    nodes: Annotated[list[NodeDefinition], Field(max_length=MAX_NODES)]
    connections: list[Connection] = Field(default_factory=list)
    variables: dict[str, Any] | None = None
    settings: WorkflowSettings | None = None
