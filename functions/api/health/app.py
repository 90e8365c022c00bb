"""GET /health (public): is the service up and can it reach its database.

Answers 200 or 503 with ``{status, database, version}``; the check itself lives in a2n.services.health.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from a2n.observability import get_logger

logger = get_logger()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    from a2n.services.health import check_health

    status, body = check_health()
    return {
        "statusCode": status,
        # Probes and load balancers must see the live state, never a cached one.
        "headers": {"Content-Type": "application/json", "Cache-Control": "no-store"},
        "body": json.dumps(body, separators=(",", ":")),
    }
