"""POST /auth/verify-email (public) — verify the account's address with its emailed token."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.accounts import verify_email

_handle = route(verify_email)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
