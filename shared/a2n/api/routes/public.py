"""Public routes without a body of their own: ``GET /health`` (served by functions/api/health)
and ``GET /openapi.json``, the document of every route, built once per container."""

from __future__ import annotations

from a2n.api.http import Request, Response
from a2n.api.openapi import RouteDoc
from a2n.api.schemas import ResponseBody


class Health(ResponseBody):
    status: str
    database: str
    version: str


def openapi_json(request: Request) -> Response:
    from a2n.api.catalogue import openapi_document

    # The document only changes with a deploy; clients and CDNs may keep it a few minutes.
    return Response(200, openapi_document(), headers={"Cache-Control": "public, max-age=300"})


_HEALTH_REF = {"$ref": "#/components/schemas/Health"}
ROUTES: tuple[RouteDoc, ...] = (
    RouteDoc(
        "GET", "/health", "Liveness and database reachability", None, Health, public=True, tags=("Public",),
        # Down is an answer too: the same body, database "unreachable".
        raw_responses=(("503", {"description": "The database is unreachable",
                                "content": {"application/json": {"schema": _HEALTH_REF}}}),),
    ),
    RouteDoc(
        "GET", "/openapi.json", "This OpenAPI 3.1 document", None, None, public=True, tags=("Public",),
        raw_responses=(("200", {"description": "The OpenAPI 3.1 document",
                                "content": {"application/json": {"schema": {"type": "object"}}}}),),
    ),
)  # fmt: skip
