"""The template gallery: built-in templates and those published from workflows (instantiate any of
them with ``POST /workflows {templateId}``), publishing, public review, ratings, deletion."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, StrictBool

from a2n.api.http import Request, Response
from a2n.api.openapi import QueryParam, RouteDoc
from a2n.api.pagination import page_request
from a2n.api.schemas import CamelModel, PageOf, RequestBody, ResponseBody, UtcDatetime

if TYPE_CHECKING:
    from a2n.services.templates import WorkflowTemplate


class RequiredCredential(ResponseBody):
    node_id: str
    type: str


class TemplateOut(ResponseBody):
    id: str = Field(description="A built-in's slug, or a published template's UUID")
    name: str
    description: str
    category: str
    definition: dict[str, Any]
    source: Literal["builtin", "workspace", "public"]
    public_status: Literal["pending", "approved", "rejected"] | None = None
    required_credentials: list[RequiredCredential]
    node_types: list[str]
    usage_count: int
    rating_count: int
    rating_average: float | None = None
    created_at: UtcDatetime


class TemplateIn(RequestBody):
    workflow_id: uuid.UUID = Field(description="Its published version becomes the template")
    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    description: Annotated[str, Field(max_length=2000)] | None = None
    category: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    public: StrictBool = Field(
        default=False, description="Ask for the public gallery (a platform admin approves)"
    )


class RatingIn(RequestBody):
    stars: Annotated[int, Field(ge=1, le=5)]


class ReviewIn(RequestBody):
    approved: StrictBool


class GalleryFilterIn(CamelModel):
    category: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    source: Literal["builtin", "workspace", "public"] | None = None
    status: Literal["pending", "approved", "rejected"] | None = None


def _body(template: WorkflowTemplate) -> dict[str, Any]:
    return TemplateOut.model_validate(template).model_dump(by_alias=True, mode="json")


def list_templates(request: Request) -> Response:
    from a2n.services.templates import GalleryFilter
    from a2n.services.templates import list_templates as gallery

    query = request.parse_query(GalleryFilterIn)
    wanted = GalleryFilter(category=query.category, source=query.source, status=query.status)
    found = gallery(request.principal, page_request(request.query), wanted)
    return Response(200, {"items": [_body(t) for t in found.items], "nextCursor": found.next_cursor})


def get_template(request: Request) -> Response:
    from a2n.services.templates import get_gallery_template

    return Response(200, _body(get_gallery_template(request.principal, request.path_param("id"))))


def publish_template(request: Request) -> Response:
    from a2n.services.templates import TemplatePublication
    from a2n.services.templates import publish_template as publish

    body = request.parse(TemplateIn)
    wanted = TemplatePublication(
        workflow_id=str(body.workflow_id),
        name=body.name,
        description=body.description,
        category=body.category,
        public=body.public,
    )
    return Response(201, _body(publish(request.principal, wanted, origin=request.origin)))


def delete_template(request: Request) -> Response:
    from a2n.services.templates import delete_template as delete

    delete(request.principal, request.path_param("id"), origin=request.origin)
    return Response.no_content()


def rate_template(request: Request) -> Response:
    from a2n.services.templates import rate_template as rate

    body = request.parse(RatingIn)
    return Response(200, _body(rate(request.principal, request.path_param("id"), body.stars)))


def review_template(request: Request) -> Response:
    from a2n.services.templates import review_template as review

    body = request.parse(ReviewIn)
    template = review(
        request.principal, request.path_param("id"), approved=body.approved, origin=request.origin
    )
    return Response(200, _body(template))


_TAGS = ("templates",)

ROUTES: tuple[RouteDoc, ...] = (
    RouteDoc(
        "GET",
        "/templates",
        "The template gallery: built-ins, this workspace's, approved public ones",
        response_model=PageOf[TemplateOut],
        tags=_TAGS,
        query=(
            QueryParam("category", {"type": "string"}),
            QueryParam("source", {"type": "string", "enum": ["builtin", "workspace", "public"]}),
            QueryParam(
                "status",
                {"type": "string", "enum": ["pending", "approved", "rejected"]},
                description="public review state (platform admins see pending ones)",
            ),
            QueryParam("limit", {"type": "integer", "minimum": 1, "maximum": 200}),
            QueryParam("cursor", {"type": "string"}),
        ),
    ),
    RouteDoc("GET", "/templates/{id}", "One gallery template", None, TemplateOut, tags=_TAGS),
    RouteDoc(
        "POST",
        "/templates",
        "Publish a workflow's published version as a template",
        TemplateIn,
        TemplateOut,
        201,
        tags=_TAGS,
        errors=(404, 422),
    ),
    RouteDoc(
        "DELETE",
        "/templates/{id}",
        "Delete a published template (its publisher or a workspace ADMIN)",
        None,
        None,
        204,
        tags=_TAGS,
        errors=(409,),
    ),
    RouteDoc(
        "PUT",
        "/templates/{id}/rating",
        "Rate a template 1-5 (one rating per user)",
        RatingIn,
        TemplateOut,
        tags=_TAGS,
    ),
    RouteDoc(
        "POST",
        "/templates/{id}/review",
        "Approve or reject a template for the public gallery",
        ReviewIn,
        TemplateOut,
        tags=_TAGS,
    ),
)
