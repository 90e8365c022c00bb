"""POST /auth/email/confirm (public) — confirm a new email address."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.accounts import confirm_email

_handle = route(confirm_email)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
