"""Lambda authorizer of the HTTP API (simple responses, payload 2.0): a JWT access token or an
``a2n_`` API key, decided by a2n.services.authorizer; public routes never reach it."""

from typing import Any

from a2n.services.authorizer import authorize_request


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return authorize_request(event)
