"""GET /workflows/{id}/triggers/{nodeId}/deliveries — a webhook trigger's delivery log (editors)."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.triggers import list_trigger_deliveries

_handle = route(list_trigger_deliveries)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
