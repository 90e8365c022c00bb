"""DELETE /executions/{id} — delete a finished execution with its nodes and logs."""

from a2n.api.http import route
from a2n.api.routes.executions import delete_execution

lambda_handler = route(delete_execution)
