"""POST /me/2fa/totp/confirm — turn two-factor on with a first code."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.accounts import confirm_totp

_handle = route(confirm_totp)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
