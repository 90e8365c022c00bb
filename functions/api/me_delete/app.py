"""DELETE /me — delete the account."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.profile import delete_account

_handle = route(delete_account)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
