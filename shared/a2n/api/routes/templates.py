"""``GET /templates``: the built-in workflow templates (instantiate with ``POST /workflows {templateId}``)."""

from __future__ import annotations

from typing import Any

from a2n.api.http import Request, Response
from a2n.api.openapi import RouteDoc
from a2n.api.schemas import PageOf, ResponseBody


class TemplateOut(ResponseBody):
    id: str
    name: str
    description: str
    category: str
    definition: dict[str, Any]


def list_templates(request: Request) -> Response:
    from a2n.services.templates import list_templates as templates

    # The envelope of every list route; the built-ins fit one page, so nextCursor is null.
    items = [TemplateOut.model_validate(t) for t in templates(request.principal)]
    return Response(200, PageOf[TemplateOut](items=items, next_cursor=None))


ROUTES: tuple[RouteDoc, ...] = (
    RouteDoc(
        "GET",
        "/templates",
        "Built-in workflow templates",
        response_model=PageOf[TemplateOut],
        tags=("templates",),
    ),
)
