"""POST /templates/{id}/review — approve or reject a template for the public gallery."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.templates import review_template

_handle = route(review_template)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
