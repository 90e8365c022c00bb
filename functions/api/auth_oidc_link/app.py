"""POST /auth/oidc/link (public) — link an identity provider to an account."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.oidc import link

_handle = route(link)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
