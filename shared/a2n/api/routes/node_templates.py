"""Node templates: configured nodes saved by name in the workspace (no credential, no webhook
secret) and those the installed packages ship; list, use (the node to paste), save, delete."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from a2n.api.http import Request, Response
from a2n.api.openapi import PAGE_QUERY, RouteDoc
from a2n.api.pagination import Page, page_request
from a2n.api.schemas import PageOf, RequestBody, ResponseBody, UtcDatetime

_PLAIN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"


class TemplateNode(RequestBody):
    type: Annotated[str, Field(min_length=1, max_length=100)]
    config: dict[str, Any] = Field(default_factory=dict)
    # Accepted so a node copied from a definition can be sent whole; never stored.
    id: Annotated[str, Field(max_length=100)] | None = None
    name: Annotated[str, Field(max_length=200)] | None = None
    credential_id: str | None = Field(default=None, description="Ignored: a template keeps no credential")


class NodeTemplateIn(RequestBody):
    name: Annotated[str, Field(min_length=1, max_length=200, pattern=_PLAIN)]
    description: Annotated[str, Field(max_length=2000, pattern=_PLAIN)] | None = None
    node: TemplateNode


class NodeTemplateOut(ResponseBody):
    id: str
    name: str
    description: str | None
    source: str = Field(description='"workspace", or "package:<name>" for one a package ships')
    node: dict[str, Any] = Field(description="{type, config}: paste it into a definition with an id")
    created_at: UtcDatetime | None


NodeTemplateList = PageOf[NodeTemplateOut]


def list_node_templates(request: Request) -> Response:
    from a2n.services.integrations import node_templates

    found = node_templates.list_node_templates(request.principal, page_request(request.query))
    return Response(200, Page([NodeTemplateOut.model_validate(t) for t in found.items], found.next_cursor))


def get_node_template(request: Request) -> Response:
    from a2n.services.integrations import node_templates

    found = node_templates.get_node_template(request.principal, request.path_param("id"))
    return Response(200, NodeTemplateOut.model_validate(found))


def save_node_template(request: Request) -> Response:
    from a2n.services.integrations import node_templates

    body = request.parse(NodeTemplateIn)
    node = {"type": body.node.type, "config": body.node.config}
    saved = node_templates.save_node_template(request.principal, body.name, body.description, node)
    return Response(201, NodeTemplateOut.model_validate(saved))


def delete_node_template(request: Request) -> Response:
    from a2n.services.integrations import node_templates

    node_templates.delete_node_template(request.principal, request.path_param("id"))
    return Response.no_content()


_TAGS = ("Node templates",)

ROUTES: tuple[RouteDoc, ...] = (
    RouteDoc(
        "GET",
        "/node-templates",
        "The workspace's node templates and its packages', by name",
        response_model=NodeTemplateList,
        tags=_TAGS,
        query=PAGE_QUERY,
    ),
    RouteDoc(
        "POST",
        "/node-templates",
        "Save a configured node as a named template (no credential, no secret)",
        NodeTemplateIn,
        NodeTemplateOut,
        status=201,
        tags=_TAGS,
        errors=(409,),
    ),
    RouteDoc(
        "GET",
        "/node-templates/{id}",
        "One template: the node to paste into a definition",
        response_model=NodeTemplateOut,
        tags=_TAGS,
    ),
    RouteDoc(
        "DELETE",
        "/node-templates/{id}",
        "Delete a workspace template (a package's: 409)",
        status=204,
        tags=_TAGS,
        errors=(409,),
    ),
)
