"""POST /me/2fa/totp — start TOTP enrolment."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.accounts import enrol_totp

_handle = route(enrol_totp)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
