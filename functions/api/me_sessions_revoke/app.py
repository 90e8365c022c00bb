"""DELETE /me/sessions/{id} — sign one session out."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.accounts import revoke_session

_handle = route(revoke_session)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
