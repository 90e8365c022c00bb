"""Every route of the API in one list, gathered from each area's ``ROUTES``, and the OpenAPI
document built from it (once per container: it only changes with a deploy)."""

from __future__ import annotations

import importlib
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from a2n.api.openapi import RouteDoc

# One module per area of API.md, in the order the document lists them.
ROUTE_MODULES: tuple[str, ...] = (
    "a2n.api.routes.public",
    "a2n.api.routes.auth",
    "a2n.api.routes.accounts",
    "a2n.api.routes.profile",
    "a2n.api.routes.oidc",
    "a2n.api.routes.identity",
    "a2n.api.routes.workspaces",
    "a2n.api.routes.workflows",
    "a2n.api.routes.organisation",
    "a2n.api.routes.shares",
    "a2n.api.routes.comments",
    "a2n.api.routes.notifications",
    "a2n.api.routes.notification_channels",
    "a2n.api.routes.executions_start",
    "a2n.api.routes.executions",
    "a2n.api.routes.credentials",
    "a2n.api.routes.audit",
    "a2n.api.routes.templates",
    "a2n.api.routes.catalog",
    "a2n.api.routes.triggers",
    "a2n.api.routes.integrations",
    "a2n.api.routes.marketplace",
    "a2n.api.routes.node_templates",
    "a2n.api.routes.oauth2_connect",
)


def route_docs() -> tuple[RouteDoc, ...]:
    """The ``ROUTES`` of every area module that exists (areas land one by one)."""
    docs: list[RouteDoc] = []
    for name in ROUTE_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise  # a broken import inside an existing module must not hide its routes
            continue
        docs.extend(getattr(module, "ROUTES", ()))
    return tuple(docs)


@cache
def openapi_document() -> dict[str, Any]:
    import a2n
    from a2n.api.openapi import build_openapi

    document = build_openapi(route_docs(), version=a2n.__version__)
    _add_gateway_refusals(document)
    return document


# API Gateway itself answers a missing/invalid credential (401), an authorizer's "no" (403) and a
# body over its limit (413) with its own JSON body, before any route runs; the routes' own refusals
# are problem+json.
_GATEWAY_BODY = {
    "schema": {
        "type": "object",
        "title": "GatewayMessage",
        "required": ["message"],
        "properties": {"message": {"type": "string"}},
    }
}


def _add_gateway_refusals(document: dict[str, Any]) -> None:
    # 413 too: the gateway refuses a body over its own 10 MiB limit before the route's 1 MiB check.
    responses = document.get("components", {}).get("responses", {})
    for status in ("401", "403", "413"):
        if status in responses:
            responses[status].setdefault("content", {})["application/json"] = _GATEWAY_BODY
