"""POST /auth/password/forgot (public) — email a password-reset link."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.accounts import forgot_password

_handle = route(forgot_password)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
