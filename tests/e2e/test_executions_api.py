"""Executions over HTTP through the local runtime: list (filters, pages), one execution with its
nodes, logs by level, cancel mid-wait, retry reusing upstream outputs, resume with the waiting
node's token, delete; another tenant gets 404 on every id route (SECURITY 15), extra body fields 422 (16)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from e2e_support import ApiResponse, RegisteredUser, wait_for_execution
from scripted_http import HitServer
from waiting import wait_until

ACTIVE = {"QUEUED", "RUNNING", "WAITING"}
PROBLEM = "application/problem+json"


@pytest.fixture
def flaky() -> Iterator[HitServer]:
    """Fails the first call with 404, then answers 200; counts every call."""
    server = HitServer([404], path="/orders")
    yield server
    server.close()


def trigger() -> dict[str, Any]:
    return {"id": "start", "type": "trigger.manual", "config": {}}


def chain(*nodes: dict[str, Any]) -> dict[str, Any]:
    """A linear definition: trigger → nodes[0] → nodes[1] → …"""
    ids = ["start", *(n["id"] for n in nodes)]
    return {
        "nodes": [trigger(), *nodes],
        "connections": [{"source": a, "target": b} for a, b in itertools.pairwise(ids)],
    }


def transform(node_id: str, value: Any) -> dict[str, Any]:
    return {"id": node_id, "type": "transform", "config": {"value": value}}


def resume_wait(node_id: str = "hold") -> dict[str, Any]:
    return {"id": node_id, "type": "wait", "config": {"mode": "resume"}}


def create(user: RegisteredUser, definition: dict[str, Any], name: str = "wf") -> str:
    created = user.client.post("/workflows", {"name": name, "definition": definition})
    assert created.status == 201, created.body
    return str(created.json["id"])


def execute(user: RegisteredUser, workflow_id: str, payload: Any = None) -> str:
    started = user.client.post(f"/workflows/{workflow_id}/execute", {"input": payload or {}})
    assert started.status == 202, started.body
    return str(started.json["executionId"])


def poll(user: RegisteredUser, execution_id: str, done: Any, what: str) -> dict[str, Any]:
    def reached() -> dict[str, Any] | None:
        found = user.client.get(f"/executions/{execution_id}")
        assert found.status == 200, found.body
        return dict(found.json) if done(found.json) else None

    return wait_until(reached, f"execution {execution_id} to become {what}", limit_s=20)




def waiting(user: RegisteredUser, execution_id: str) -> dict[str, Any]:
    return poll(user, execution_id, lambda e: e["status"] == "WAITING", "WAITING")


def node_of(execution: dict[str, Any], node_id: str) -> dict[str, Any]:
    return next(n for n in execution["nodes"] if n["nodeId"] == node_id)


def is_problem(resp: ApiResponse, status: int) -> bool:
    return resp.status == status and resp.headers["content-type"].startswith(PROBLEM)


def test_list_filters_by_workflow_status_and_time_and_pages_without_overlap(user: RegisteredUser) -> None:
    busy = create(user, chain(transform("t", "{{ trigger.n }}")), "busy")
    quiet = create(user, chain(transform("t", 1)), "quiet")
    ran = [execute(user, busy, {"n": i}) for i in range(3)] + [execute(user, quiet)]
    for execution_id in ran:
        assert wait_for_execution(user, execution_id)["status"] == "SUCCEEDED"
    c = user.client

    first = c.get(f"/executions?workflowId={busy}&limit=2")
    second = c.get(f"/executions?workflowId={busy}&limit=2&cursor={quote(first.json['nextCursor'])}")

    assert first.status == second.status == 200
    assert second.json["nextCursor"] is None
    paged = [e["id"] for e in first.json["items"] + second.json["items"]]
    assert sorted(paged) == sorted(ran[:3]) and len(set(paged)) == 3
    assert {e["workflowId"] for e in first.json["items"]} == {busy}
    assert set(first.json["items"][0]) >= {"id", "status", "mode", "startedAt", "endedAt", "durationMs"}
    # Lists name the workflow each run belongs to (issue 11 item 12), and so does one execution.
    assert {e["workflowName"] for e in first.json["items"]} == {"busy"}
    assert c.get(f"/executions/{ran[3]}").json["workflowName"] == "quiet"
    quiet_ok = c.get(f"/executions?workflowId={quiet}&status=SUCCEEDED").json["items"]
    assert [e["id"] for e in quiet_ok] == [ran[3]]
    assert c.get(f"/executions?workflowId={quiet}&status=failed,cancelled").json["items"] == []
    future = quote((datetime.now(UTC) + timedelta(hours=1)).isoformat())
    assert c.get(f"/executions?since={future}").json["items"] == []
    assert len(c.get(f"/executions?until={future}&workflowId={busy}").json["items"]) == 3
    assert is_problem(c.get("/executions?status=BOGUS"), 422)
    assert is_problem(c.get("/executions?workflowId=not-a-uuid"), 422)
    assert c.get("/executions?limit=0").status == 422
    assert c.get("/executions?cursor=garbage").status == 400


def test_get_returns_each_node_with_input_output_error_and_duration(
    user: RegisteredUser, flaky: HitServer
) -> None:
    definition = chain(
        transform("shape", {"order": "{{ trigger.id }}"}),
        {"id": "call", "type": "http_request", "config": {"method": "GET", "url": flaky.url}},
        transform("never", 1),
    )
    execution_id = execute(user, create(user, definition), {"id": 42})

    run = wait_for_execution(user, execution_id)

    assert run["status"] == "FAILED" and run["mode"] == "manual" and run["workflowVersion"] == 1
    assert run["triggerData"] == {"id": 42} and isinstance(run["durationMs"], int)
    shape, call, never = node_of(run, "shape"), node_of(run, "call"), node_of(run, "never")
    assert shape["type"] == "transform" and shape["status"] == "SUCCEEDED"
    assert shape["input"] == {"id": 42} and shape["output"] == {"order": 42}
    assert isinstance(shape["durationMs"], int) and shape["durationMs"] >= 0
    assert call["status"] == "FAILED" and call["input"] == {"order": 42}
    assert "404" in json.dumps(call["error"]) and call["output"] is None
    assert never["status"] in {"CANCELLED", "SKIPPED"} and never["startedAt"] is None
    assert never["durationMs"] is None
    assert user.client.get("/executions/not-a-uuid").status == 404


def test_logs_filter_at_or_above_a_level(user: RegisteredUser, flaky: HitServer) -> None:
    definition = chain(
        transform("ok", 1),
        {"id": "bad", "type": "http_request", "config": {"method": "GET", "url": flaky.url}},
    )
    execution_id = execute(user, create(user, definition))
    assert wait_for_execution(user, execution_id)["status"] == "FAILED"
    path = f"/executions/{execution_id}/logs"

    every = user.client.get(path)
    errors = user.client.get(path + "?level=error")

    assert every.status == errors.status == 200
    levels = {line["level"] for line in every.json["items"]}
    assert {"INFO", "ERROR"} <= levels
    assert every.json["items"] == sorted(every.json["items"], key=lambda line: line["ts"])
    assert errors.json["items"] and {line["level"] for line in errors.json["items"]} == {"ERROR"}
    assert errors.json["items"][0]["nodeId"] == "bad"
    assert set(errors.json["items"][0]) >= {"ts", "level", "nodeId", "message", "metadata"}
    assert len(user.client.get(path + "?level=WARN").json["items"]) < len(every.json["items"])
    assert is_problem(user.client.get(path + "?level=LOUD"), 422)


def test_cancel_mid_wait_stops_the_run_and_nothing_new_starts(user: RegisteredUser) -> None:
    definition = chain({"id": "pause", "type": "wait", "config": {"mode": "duration", "seconds": 3600}},
                       transform("after", 1))  # fmt: skip
    execution_id = execute(user, create(user, definition))
    waiting(user, execution_id)

    cancelled = user.client.post(f"/executions/{execution_id}/cancel")

    assert cancelled.status == 202, cancelled.body
    assert cancelled.json["executionId"] == execution_id
    run = wait_for_execution(user, execution_id)
    assert run["status"] == "CANCELLED"
    after = node_of(run, "after")
    assert after["status"] == "CANCELLED" and after["startedAt"] is None
    again = user.client.post(f"/executions/{execution_id}/cancel")
    assert is_problem(again, 409)


def test_retry_from_the_failed_node_reuses_upstream_outputs(user: RegisteredUser, flaky: HitServer) -> None:
    definition = chain(
        transform("prep", {"stamp": "{{ execution.id }}"}),
        {"id": "call", "type": "http_request", "config": {"method": "GET", "url": flaky.url}},
        transform("done", "{{ input.body.hit }}"),
    )
    failed_id = execute(user, create(user, definition))
    failed = wait_for_execution(user, failed_id)
    assert failed["status"] == "FAILED" and flaky.hits == 1

    answer = user.client.post(f"/executions/{failed_id}/retry", {})

    assert answer.status == 202, answer.body
    rerun = wait_for_execution(user, answer.json["executionId"])
    assert rerun["id"] != failed_id and rerun["status"] == "SUCCEEDED"
    assert (rerun["mode"], rerun["retryOf"]) == ("retry", failed_id)
    # prep ran once, in the first execution: its output (with that execution's id) is reused.
    assert node_of(rerun, "prep")["output"] == {"stamp": failed_id}
    assert node_of(rerun, "done")["output"] == 2 and flaky.hits == 2
    logs = user.client.get(f"/executions/{rerun['id']}/logs").json["items"]
    started = {line["nodeId"] for line in logs if line["message"] == "node started"}
    assert "prep" not in started and "call" in started


def test_retry_from_a_named_node_and_bad_retry_bodies(user: RegisteredUser) -> None:
    execution_id = execute(user, create(user, chain(transform("a", 1), transform("b", "{{ input }}"))))
    assert wait_for_execution(user, execution_id)["status"] == "SUCCEEDED"
    path = f"/executions/{execution_id}/retry"

    from_b = user.client.post(path, {"fromNodeId": "b"})

    assert from_b.status == 202, from_b.body
    assert node_of(wait_for_execution(user, from_b.json["executionId"]), "b")["output"] == 1
    assert is_problem(user.client.post(path, {"fromNodeId": "nope"}), 400)
    for extra in ({"id": execution_id}, {"workspaceId": user.workspace_id}, {"workflowId": execution_id},
                  {"status": "SUCCEEDED"}, {"createdBy": user.user_id}):  # fmt: skip
        answer = user.client.post(path, extra)
        assert is_problem(answer, 422), (extra, answer.body)
        assert answer.json["errors"][0]["pointer"] == "/" + next(iter(extra))
    broken = user.client.request(
        "POST", path, body=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert is_problem(broken, 400)


def issued_token(user: RegisteredUser, execution_id: str) -> str:
    answer = user.client.post(f"/executions/{execution_id}/resume-token", {})
    assert answer.status == 201, answer.body
    assert answer.json["nodeId"] == "hold"
    return str(answer.json["token"])


def test_resume_with_the_token_issued_once_for_the_waiting_node(user: RegisteredUser) -> None:
    definition = chain(resume_wait(), transform("use", {"approved": "{{ input.data.approved }}"}))
    execution_id = execute(user, create(user, definition))
    parked = waiting(user, execution_id)
    assert node_of(parked, "hold")["output"] == {"waitingForResume": True}  # no token stored to show
    replaced = issued_token(user, execution_id)
    token = issued_token(user, execution_id)
    assert token != replaced and token not in json.dumps(user.client.get(f"/executions/{execution_id}").json)
    path = f"/executions/{execution_id}/resume"
    assert is_problem(user.client.post(path, {"token": replaced}), 404)  # the newer token replaced it
    no_body = user.client.request("POST", f"/executions/{execution_id}/resume-token")
    assert no_body.status == 201 and no_body.json["nodeId"] == "hold"
    token = no_body.json["token"]

    assert is_problem(user.client.post(path, {"token": "wrong"}), 404)
    assert is_problem(user.client.post(path, {"token": token, "workspaceId": user.workspace_id}), 422)
    assert is_problem(user.client.post(path, {}), 422)
    resumed = user.client.post(path, {"token": token, "data": {"approved": True}})

    assert resumed.status == 202, resumed.body
    run = wait_for_execution(user, execution_id)
    assert run["status"] == "SUCCEEDED"
    assert node_of(run, "use")["output"] == {"approved": True}
    assert "resumeToken" not in json.dumps(node_of(run, "hold")["output"])
    assert is_problem(user.client.post(path, {"token": token}), 409)
    assert is_problem(user.client.post(f"/executions/{execution_id}/resume-token", {}), 409)


def test_delete_finished_is_204_and_active_is_409(user: RegisteredUser) -> None:
    done_id = execute(user, create(user, chain(transform("a", 1))))
    wait_for_execution(user, done_id)
    held_id = execute(user, create(user, chain(resume_wait())))
    waiting(user, held_id)

    assert user.client.delete(f"/executions/{done_id}").status == 204
    assert user.client.get(f"/executions/{done_id}").status == 404
    assert user.client.delete(f"/executions/{done_id}").status == 404
    assert is_problem(user.client.delete(f"/executions/{held_id}"), 409)
    assert user.client.post(f"/executions/{held_id}/cancel").status == 202
    wait_for_execution(user, held_id)
    assert user.client.delete(f"/executions/{held_id}").status == 204


def test_another_workspace_gets_404_on_every_execution_route(
    user: RegisteredUser, other_user: RegisteredUser
) -> None:
    workflow_id = create(user, chain(resume_wait()))
    execution_id = execute(user, workflow_id)
    waiting(user, execution_id)
    token = issued_token(user, execution_id)
    them = other_user.client
    base = f"/executions/{execution_id}"

    answers = {
        "get": them.get(base),
        "logs": them.get(base + "/logs"),
        "cancel": them.post(base + "/cancel"),
        "retry": them.post(base + "/retry", {}),
        "resume": them.post(base + "/resume", {"token": token}),
        "resume-token": them.post(base + "/resume-token", {}),
        "delete": them.delete(base),
    }

    assert {name: a.status for name, a in answers.items()} == dict.fromkeys(answers, 404)
    assert all(a.headers["content-type"].startswith(PROBLEM) for a in answers.values())
    assert them.get(f"/executions?workflowId={workflow_id}").json["items"] == []
    assert execution_id not in json.dumps(them.get("/executions").json)
    # Nothing the stranger sent changed the run: it still waits for its owner's token.
    assert user.client.get(base).json["status"] == "WAITING"
    assert user.client.post(base + "/cancel").status == 202


def test_a_read_only_api_key_reads_but_cannot_change_executions(user: RegisteredUser) -> None:
    key = user.client.post("/api-keys", {"name": "reader", "scopes": ["executions:read"]})
    assert key.status == 201, key.body
    reader = user.client.as_user(key.json["key"])
    execution_id = execute(user, create(user, chain(resume_wait())))
    waiting(user, execution_id)
    base = f"/executions/{execution_id}"

    assert reader.get(base).status == 200 and reader.get(base + "/logs").status == 200
    assert is_problem(reader.post(base + "/cancel"), 403)
    assert is_problem(reader.post(base + "/retry", {}), 403)
    assert is_problem(reader.post(base + "/resume", {"token": "x"}), 403)
    assert is_problem(reader.delete(base), 403)
    assert user.client.get(base).json["status"] == "WAITING"
    assert user.client.post(base + "/cancel").status == 202
