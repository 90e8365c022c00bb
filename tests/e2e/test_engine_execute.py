"""POST /workflows/{id}/execute over HTTP through the local runtime: the run goes through the
real step functions and SQS pollers, including an http_request to a local server."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from e2e_support import RegisteredUser, wait_for_execution


@pytest.fixture
def echo_url() -> Iterator[str]:
    class Echo(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            answer = json.dumps(
                {"echo": json.loads(body), "key": self.headers.get("Idempotency-Key")}
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/echo"
    server.shutdown()
    server.server_close()




def test_execute_runs_every_node_and_replays_by_idempotency_key(user: RegisteredUser, echo_url: str) -> None:
    definition = {
        "nodes": [
            {"id": "start", "type": "trigger.manual", "config": {}},
            {"id": "shape", "type": "transform", "config": {"value": {"total": "{{ trigger.total }}"}}},
            {"id": "call", "type": "http_request",
             "config": {"method": "POST", "url": echo_url, "body": "{{ input }}"}},
            {"id": "done", "type": "noop", "config": {}},
        ],
        "connections": [
            {"source": "start", "target": "shape"}, {"source": "shape", "target": "call"},
            {"source": "call", "target": "done"},
        ],
    }  # fmt: skip
    created = user.client.post("/workflows", {"name": "e2e run", "definition": definition})
    assert created.status == 201, created.body
    path = f"/workflows/{created.json['id']}/execute"
    key = {"Idempotency-Key": "run-1"}

    first = user.client.post(path, {"input": {"total": 42}}, headers=key)
    assert first.status == 202, first.body
    replay = user.client.post(path, {"input": {"total": 42}}, headers=key)
    assert (replay.status, replay.json["executionId"]) == (200, first.json["executionId"])
    assert user.client.post(path, {"input": {"total": 43}}, headers=key).status == 409

    execution = wait_for_execution(user, first.json["executionId"])
    assert execution["status"] == "SUCCEEDED", execution
    nodes = {n["nodeId"]: n for n in execution["nodes"]}
    assert all(n["status"] == "SUCCEEDED" for n in nodes.values())
    body = nodes["call"]["output"]["body"]
    assert body == {"echo": {"total": 42}, "key": f"{first.json['executionId']}:call"}
    assert execution["output"] == nodes["call"]["output"]


def test_execute_of_another_workspaces_workflow_is_a_404(
    user: RegisteredUser, other_user: RegisteredUser
) -> None:
    definition = {"nodes": [{"id": "start", "type": "trigger.manual", "config": {}}], "connections": []}
    created = user.client.post("/workflows", {"name": "mine", "definition": definition})
    assert created.status == 201, created.body
    answer = other_user.client.post(f"/workflows/{created.json['id']}/execute", {})
    assert answer.status == 404
