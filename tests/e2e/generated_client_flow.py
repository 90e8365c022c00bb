"""A user's first minutes, through a client generated from GET /openapi.json by openapi-python-client.

Run by test_generated_client.py with the generator's own venv (.tools/openapi-client: httpx, attrs)
and the generated package ``a2n_client`` on sys.path: register → login → create a workflow →
execute with an Idempotency-Key → replay it → read the execution. The client raises on any status
the document does not declare; every answer is parsed into the generated models. Prints one JSON
object of what it saw, for the test to assert on.
"""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: waiting.py

from a2n_client import AuthenticatedClient, Client  # type: ignore[import-not-found]
from a2n_client.api.auth import post_auth_login, post_auth_register  # type: ignore[import-not-found]
from a2n_client.api.executions import (  # type: ignore[import-not-found]
    get_executions_id,
    post_workflows_id_execute,
)
from a2n_client.api.workflows import post_workflows  # type: ignore[import-not-found]
from a2n_client.models import (  # type: ignore[import-not-found]
    Credentials,
    ExecuteIn,
    Registration,
    WorkflowCreate,
)
from waiting import wait_until

DEFINITION = {
    "nodes": [
        {"id": "start", "type": "trigger.manual", "config": {}},
        {"id": "double", "type": "transform", "config": {"value": {"total": "{{ trigger.n }}", "ok": True}}},
    ],
    "connections": [{"source": "start", "target": "double"}],
}


def main(base_url: str) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    anonymous = Client(base_url=base_url, raise_on_unexpected_status=True)
    email, password = f"client-{uuid.uuid4().hex[:10]}@example.com", "correct horse battery staple"

    registered = post_auth_register.sync_detailed(
        client=anonymous, body=Registration.from_dict({"email": email, "password": password, "name": "Gen"})
    )
    seen["register"] = [registered.status_code.value, type(registered.parsed).__name__]
    session = post_auth_login.sync_detailed(
        client=anonymous, body=Credentials.from_dict({"email": email, "password": password})
    )
    seen["login"] = [session.status_code.value, type(session.parsed).__name__]
    token = session.parsed.access_token
    client = AuthenticatedClient(base_url=base_url, token=token, raise_on_unexpected_status=True)

    created = post_workflows.sync_detailed(
        client=client, body=WorkflowCreate.from_dict({"name": "generated", "definition": DEFINITION})
    )
    workflow = created.parsed
    seen["create"] = [created.status_code.value, type(workflow).__name__, created.headers.get("etag")]
    seen["workflow"] = {"id": str(workflow.id), "version": workflow.version}

    body = ExecuteIn.from_dict({"input": {"n": 21}})
    execute = post_workflows_id_execute.sync_detailed
    first = execute(str(workflow.id), client=client, body=body, idempotency_key="gen-1")
    replay = execute(str(workflow.id), client=client, body=body, idempotency_key="gen-1")
    seen["execute"] = [first.status_code.value, type(first.parsed).__name__, str(first.parsed.execution_id)]
    seen["replay"] = [replay.status_code.value, type(replay.parsed).__name__, str(replay.parsed.execution_id)]

    def finished() -> Any:
        found = get_executions_id.sync_detailed(str(first.parsed.execution_id), client=client).parsed
        return found if found.status.value not in ("QUEUED", "RUNNING", "WAITING") else None

    execution = wait_until(finished, "the execution to finish")
    seen["execution"] = {
        "model": type(execution).__name__,
        "status": execution.status.value,
        "workflowName": execution.workflow_name,
        "output": execution.to_dict()["output"],
        "nodes": sorted(node.node_id for node in execution.nodes),
    }
    return seen


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))
