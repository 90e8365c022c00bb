"""GET /auth/oidc/{provider}/authorize (public) — start signing in with an identity provider."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.oidc import authorize

_handle = route(authorize)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
