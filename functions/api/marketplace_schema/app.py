"""GET /marketplace/manifest-schema - the published manifest JSON Schema."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.marketplace import manifest_schema

_handle = route(manifest_schema)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
