"""POST /executions/{id}/retry — re-run as a new execution, from the failed node by default."""

from a2n.api.http import route
from a2n.api.routes.executions import retry_execution

lambda_handler = route(retry_execution)
