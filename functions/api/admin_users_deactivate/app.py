"""POST /admin/users/{id}/deactivate — platform admins deactivate an account."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.profile import deactivate_user

_handle = route(deactivate_user)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
