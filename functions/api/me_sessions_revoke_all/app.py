"""DELETE /me/sessions — sign out everywhere."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.accounts import sign_out_everywhere

_handle = route(sign_out_everywhere)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
