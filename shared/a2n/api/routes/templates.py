"""``GET /templates``: the built-in workflow templates (instantiate with ``POST /workflows {templateId}``)."""

from __future__ import annotations

from typing import Any

from pydantic import RootModel

from a2n.api.http import Request, Response
from a2n.api.openapi import RouteDoc
from a2n.api.schemas import ResponseBody


class TemplateOut(ResponseBody):
    id: str
    name: str
    description: str
    category: str
    definition: dict[str, Any]


class TemplateList(RootModel[list[TemplateOut]]):
    """API.md: a bare array (the catalogue is small and fixed, so it is not paginated)."""


def list_templates(request: Request) -> Response:
    from a2n.services.templates import list_templates as templates

    items = [TemplateOut.model_validate(t) for t in templates(request.principal)]
    return Response(200, items)


ROUTES: tuple[RouteDoc, ...] = (
    RouteDoc(
        "GET", "/templates", "Built-in workflow templates", response_model=TemplateList, tags=("templates",)
    ),
)
