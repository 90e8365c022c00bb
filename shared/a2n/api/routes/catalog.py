"""Catalogue routes: ``GET /node-types``, the built-in node types with their config/output
JSON Schemas and handles, served from the registry in code (any member may read it)."""

from __future__ import annotations

from typing import Any

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


def list_node_types(request: Request) -> Response:
    from a2n.services.catalog import node_types

    # The list envelope of every list route; the catalogue fits one page, so nextCursor is null.
    items = [NodeType.model_validate(entry) for entry in node_types(request.principal)]
    return Response(200, PageOf[NodeType](items=items, next_cursor=None))


ROUTES: tuple[RouteDoc, ...] = (
    RouteDoc("GET", "/node-types", "The built-in node types", None, PageOf[NodeType], tags=("Catalogue",)),
)
