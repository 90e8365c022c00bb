"""GET /audit-logs — the workspace's audit trail (ADMIN+)."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.audit import list_audit_logs

_handle = route(list_audit_logs)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
