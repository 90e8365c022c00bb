"""POST /admin/users/{id}/password-reset — platform admins force a password reset."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.profile import force_password_reset

_handle = route(force_password_reset)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
