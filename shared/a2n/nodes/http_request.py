"""http_request: calls an HTTP endpoint, optionally with a credential, behind the SSRF guard.

The config model is reused by ``trigger.poll`` for the request it repeats.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from a2n.nodes.config import HttpMethod, NodeConfig, QueryValue
from a2n.nodes.context import NodeContext, NodeResult
from a2n.nodes.spec import NodeSpec

# Lambda's own ceiling; a node timeout beyond it could never be honoured.
MAX_TIMEOUT_MS = 900_000
DEFAULT_TIMEOUT_MS = 30_000


class HttpRequestConfig(NodeConfig):
    """One request; strings may hold ``{{ }}`` templates."""

    method: HttpMethod
    url: Annotated[str, Field(min_length=1, max_length=8192)]
    headers: dict[str, Annotated[str, Field(max_length=8192)]] | None = None
    query: dict[str, QueryValue] | None = None
    body: Any = None
    bodyType: Literal["json", "form", "raw"] = "json"
    timeoutMs: Annotated[int, Field(ge=1, le=MAX_TIMEOUT_MS)] = DEFAULT_TIMEOUT_MS
    responseType: Literal["json", "text", "auto"] = "auto"
    # false: a 4xx/5xx response is output like any other instead of failing the node.
    failOnStatus: bool = True


RESPONSE_SCHEMA = {
    "type": "object",
    "properties": {
        "status": {"type": "integer"},
        "headers": {"type": "object", "additionalProperties": {"type": "string"}},
        "body": {"description": "Parsed JSON or text, per responseType."},
        "bodyEncoding": {"enum": ["base64"], "description": "Set when a binary body is base64 text."},
    },
    "required": ["status", "headers", "body"],
}

SPEC = NodeSpec(
    type="http_request",
    name="HTTP Request",
    category="core",
    description="Sends an HTTP request (JSON, form or raw body; optional credential); outputs the response.",
    config_model=HttpRequestConfig,
    output_schema=RESPONSE_SCHEMA,
    accepts_credentials=True,
)


def run(ctx: NodeContext) -> NodeResult:
    """Sends the request; the HTTP machinery is imported only when a request is made."""
    from a2n.nodes.http.call import call

    return call(ctx)
