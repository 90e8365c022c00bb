"""GET /executions — list executions of the caller's workspace, filtered, newest first."""

from a2n.api.http import route
from a2n.api.routes.executions import list_executions

lambda_handler = route(list_executions)
