"""POST /me/2fa/totp/disable — turn two-factor off."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.accounts import disable_totp

_handle = route(disable_totp)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
