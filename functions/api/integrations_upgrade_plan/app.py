"""GET /integrations/{name}/upgrade - what an upgrade would change."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.integrations import plan_upgrade

_handle = route(plan_upgrade)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
