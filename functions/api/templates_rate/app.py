"""PUT /templates/{id}/rating — rate a template 1-5."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.templates import rate_template

_handle = route(rate_template)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
