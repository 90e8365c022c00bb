"""POST /auth/oidc/{provider}/callback (public) — finish signing in with an identity provider."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.oidc import callback

_handle = route(callback)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
