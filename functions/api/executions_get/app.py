"""GET /executions/{id} — one execution with every node's input, output and error."""

from a2n.api.http import route
from a2n.api.routes.executions import get_execution

lambda_handler = route(get_execution)
