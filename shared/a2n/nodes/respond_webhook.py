"""respond_webhook: sets the response a synchronous webhook call answers with.

Outside a sync webhook execution it only records the response it would have sent.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from pydantic import Field

from a2n.nodes.config import NodeConfig
from a2n.nodes.context import NodeContext, NodeFailed, NodeResult, parse_config, render_config
from a2n.nodes.spec import NodeSpec

# RFC 9110 field names are tokens; checked at save, since names are not templates.
_FIELD_NAME = r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$"
HeaderName = Annotated[str, Field(pattern=_FIELD_NAME)]
# What a header value may hold once rendered: printable ASCII, spaces and tabs. A line break would
# inject a header; for other characters API Gateway documents no encoding and the local runtime's
# server writes Latin-1 only, so refusing them here keeps both answering alike.
_UNSENDABLE = re.compile(r"[^\t\x20-\x7e]")


class RespondWebhookConfig(NodeConfig):
    """Status, headers and body (templates allowed in values and body)."""

    status: Annotated[int, Field(ge=100, le=599)] = 200
    headers: dict[HeaderName, Annotated[str, Field(max_length=8192)]] | None = None
    body: Any


SPEC = NodeSpec(
    type="respond_webhook",
    pure=True,
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
    refusal = header_refusal(name, text)
    if refusal is not None:
        raise NodeFailed(refusal)
    return text


def header_refusal(name: str, text: str) -> str | None:
    """Why a response header cannot be sent as it is, or None when it can."""
    if re.fullmatch(_FIELD_NAME, name) is None:
        return f"header name {name[:64]!r} is not an HTTP token"
    found = _UNSENDABLE.search(text)
    if found is None:
        return None
    if found.group() in "\r\n":
        return f"header '{name}' contains a line break"  # header injection
    return (
        f"header '{name}' contains U+{ord(found.group()):04X} at position {found.start()}: header values"
        " must be printable ASCII (percent-encode other characters, or put them in the body)"
    )
