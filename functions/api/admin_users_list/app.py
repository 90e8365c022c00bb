"""GET /admin/users — platform admins list accounts."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.profile import list_users

_handle = route(list_users)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
