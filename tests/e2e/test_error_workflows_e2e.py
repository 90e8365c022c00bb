"""Error workflows over HTTP (issue 11 item 13): settings.errorWorkflowId is checked at save, and a
failed run starts the named workflow at its trigger.error node with the documented payload."""

from __future__ import annotations

import uuid
from typing import Any

from e2e_support import RegisteredUser, wait_for_execution
from waiting import wait_until

POINTER = "/definition/settings/errorWorkflowId"


def _handler(with_error_trigger: bool = True) -> dict[str, Any]:
    kind = "trigger.error" if with_error_trigger else "trigger.manual"
    start = {"id": "failed", "type": kind, "config": {}}
    value = {"run": "{{ trigger.execution.id }}", "workflow": "{{ trigger.workflow.name }}",
             "node": "{{ trigger.execution.failedNode }}"}  # fmt: skip
    note = {"id": "note", "type": "transform", "config": {"value": value}}
    return {"nodes": [start, note], "connections": [{"source": "failed", "target": "note"}]}


def _failing(error_workflow_id: str) -> dict[str, Any]:
    return {
        "nodes": [
            {"id": "start", "type": "trigger.manual", "config": {}},
            {"id": "parse", "type": "transform", "config": {"value": "{{ from_json(trigger.text) }}"}},
        ],
        "connections": [{"source": "start", "target": "parse"}],
        "settings": {"errorWorkflowId": error_workflow_id},
    }


def _save_problems(user: RegisteredUser, error_workflow_id: str) -> list[dict[str, Any]]:
    resp = user.client.post("/workflows", {"name": "orders", "definition": _failing(error_workflow_id)})
    assert resp.status == 422, resp.body
    return [e for e in resp.json["errors"] if e["pointer"] == POINTER]


def test_error_workflow_id_must_name_a_workflow_of_this_workspace_with_an_error_trigger(
    user: RegisteredUser, other_user: RegisteredUser
) -> None:
    [missing] = _save_problems(user, str(uuid.uuid4()))
    assert "no workflow with this id in this workspace" in missing["message"]

    elsewhere = other_user.client.post("/workflows", {"name": "theirs", "definition": _handler()}).json["id"]
    [foreign] = _save_problems(user, elsewhere)
    assert "no workflow with this id in this workspace" in foreign["message"]

    manual = user.client.post("/workflows", {"name": "old style", "definition": _handler(False)}).json["id"]
    [no_trigger] = _save_problems(user, manual)
    assert "has no trigger.error node" in no_trigger["message"] and "'old style'" in no_trigger["message"]


def test_a_failed_run_starts_the_error_workflow_with_the_failed_run_as_its_trigger(
    user: RegisteredUser,
) -> None:
    handler = user.client.post("/workflows", {"name": "on failure", "definition": _handler()}).json["id"]
    created = user.client.post("/workflows", {"name": "orders", "definition": _failing(handler)})
    assert created.status == 201, created.body

    started = user.client.post(f"/workflows/{created.json['id']}/execute", {"input": {"text": "not json"}})
    failed = wait_for_execution(user, started.json["executionId"])
    assert failed["status"] == "FAILED"

    def handler_run() -> dict[str, Any] | None:
        items = user.client.get(f"/executions?workflowId={handler}").json["items"]
        return items[0] if items else None

    run = wait_for_execution(user, wait_until(handler_run, "the error workflow to start")["id"])
    assert run["mode"] == "error" and run["workflowName"] == "on failure"
    assert run["output"] == {"run": failed["id"], "workflow": "orders", "node": "parse"}
