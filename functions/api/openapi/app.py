"""GET /openapi.json (public) — the OpenAPI 3.1 document of the whole API."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.public import openapi_json

_handle = route(openapi_json)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
