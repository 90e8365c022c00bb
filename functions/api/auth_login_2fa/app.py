"""POST /auth/login/2fa (public) — finish a two-factor sign-in."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.auth import login_second_step

_handle = route(login_second_step)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
