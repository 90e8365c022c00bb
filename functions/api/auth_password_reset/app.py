"""POST /auth/password/reset (public) — set a new password with an emailed token."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.accounts import reset_password

_handle = route(reset_password)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
