"""GET /executions/{id}/logs — an execution's log lines, oldest first, by minimum level."""

from a2n.api.http import route
from a2n.api.routes.executions import list_execution_logs

lambda_handler = route(list_execution_logs)
