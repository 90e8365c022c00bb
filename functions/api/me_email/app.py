"""POST /me/email — change the email address (confirmed by email)."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.accounts import change_email

_handle = route(change_email)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
