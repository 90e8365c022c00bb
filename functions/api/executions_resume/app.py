"""POST /executions/{id}/resume — resume a waiting node with its token."""

from a2n.api.http import route
from a2n.api.routes.executions import resume_execution

lambda_handler = route(resume_execution)
