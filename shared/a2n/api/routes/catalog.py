"""Catalogue routes: ``GET /node-types``, the built-in node types with their config/output
JSON Schemas and handles, and the actions and triggers of the workspace's installed packages."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from a2n.api.http import Request, Response
from a2n.api.openapi import RouteDoc
from a2n.api.schemas import PageOf, ResponseBody


class NodeHandles(ResponseBody):
    inputs: list[str]
    outputs: list[str]
    dynamic_outputs: bool
    error_output: str


class NodeType(ResponseBody):
    type: str
    name: str
    category: str
    description: str
    is_trigger: bool
    accepts_credentials: bool
    config_schema: dict[str, Any]
    output_schema: dict[str, Any]
    handles: NodeHandles
    integration: dict[str, Any] | None = Field(
        default=None,
        description="Package actions and triggers: package, version, action|trigger, credentialTypes, hosts",
    )


def list_node_types(request: Request) -> Response:
    from a2n.services.catalog import node_types

    # The list envelope of every list route; the catalogue fits one page, so nextCursor is null.
    items = [NodeType.model_validate(entry) for entry in node_types(request.principal)]
    return Response(200, PageOf[NodeType](items=items, next_cursor=None))


ROUTES: tuple[RouteDoc, ...] = (
    RouteDoc(
        "GET", "/node-types", "The built-in node types and the installed packages' actions and triggers",
        None, PageOf[NodeType], tags=("Catalogue",),
    ),
)
