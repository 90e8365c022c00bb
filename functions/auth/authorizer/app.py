"""Lambda authorizer of the HTTP API (simple responses, payload format 2.0).

Denies every request for now: the "API surface" issue completes it (JWT access tokens and
``a2n_`` API keys through a2n.auth). Public routes never reach it (``Authorizer: NONE``).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from a2n.observability import get_logger

logger = get_logger()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # Fail closed: until credentials can be verified, no protected route is reachable.
    logger.info("request denied", extra={"routeArn": event.get("routeArn")})
    return {"isAuthorized": False}
