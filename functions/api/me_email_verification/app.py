"""POST /me/email/verification — email a new verification link."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.accounts import resend_verification

_handle = route(resend_verification)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
