"""POST /admin/users/{id}/reactivate — platform admins reactivate an account."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.profile import reactivate_user

_handle = route(reactivate_user)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
