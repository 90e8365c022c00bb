"""PATCH /me — change the profile."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.profile import update_profile

_handle = route(update_profile)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
