"""POST /me/password — change the password."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.accounts import change_password

_handle = route(change_password)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
