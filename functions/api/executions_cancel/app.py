"""POST /executions/{id}/cancel — stop an execution: running nodes finish, nothing new starts."""

from a2n.api.http import route
from a2n.api.routes.executions import cancel_execution

lambda_handler = route(cancel_execution)
