"""Catalogue routes: ``GET /node-types``, the built-in node types with their config/output
JSON Schemas and handles, served from the registry in code (any member may read it)."""

from __future__ import annotations

from typing import Any

from pydantic import RootModel

from a2n.api.http import Request, Response
from a2n.api.openapi import RouteDoc
from a2n.api.schemas import ResponseBody


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


class NodeTypeList(RootModel[list[NodeType]]):
    """The body of ``GET /node-types``: a plain array (API.md), not a page."""


def list_node_types(request: Request) -> Response:
    from a2n.services.catalog import node_types

    return Response(200, node_types(request.principal))


ROUTES: tuple[RouteDoc, ...] = (
    RouteDoc("GET", "/node-types", "The built-in node types", None, NodeTypeList, tags=("Catalogue",)),
)
