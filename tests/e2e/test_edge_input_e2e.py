"""Bad numbers and bad bytes over HTTP through the local runtime (SECURITY case 31, issue 9 items
11-14): each is a 4xx (or, for a response the workflow cannot send, a 502) problem — never a 500, a
dropped connection or silently replaced data."""

from __future__ import annotations

import base64
import json
from itertools import pairwise
from typing import Any
from urllib.parse import urlsplit

import pytest
from e2e_support import PASSWORD, ApiClient, ApiResponse, RegisteredUser, wait_for_execution

PROBLEM = "application/problem+json"
JSON = {"Content-Type": "application/json"}


def problem(resp: ApiResponse, status: int) -> dict[str, Any]:
    assert resp.status == status, resp.body
    assert resp.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = resp.json
    return body


def workflow(user: RegisteredUser, nodes: list[dict[str, Any]]) -> str:
    """A chain of `nodes`, saved; its id."""
    connections = [{"source": a["id"], "target": b["id"]} for a, b in pairwise(nodes)]
    definition = {"nodes": nodes, "connections": connections}
    created = user.client.post("/workflows", {"name": "edge", "definition": definition})
    assert created.status == 201, created.body
    return str(created.json["id"])


def webhook_path(user: RegisteredUser, nodes: list[dict[str, Any]]) -> tuple[str, str]:
    workflow_id = workflow(user, nodes)
    activation = user.client.post(f"/workflows/{workflow_id}/activate")
    assert activation.status == 200, activation.body
    return workflow_id, urlsplit(activation.json["triggers"][0]["webhookUrl"]).path


def runs_of(user: RegisteredUser, workflow_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = user.client.get(f"/executions?workflowId={workflow_id}").json["items"]
    return items


HUGE = "9" * 5000
NUMBERS_JSON_CANNOT_HOLD = ["1e999", "-1E+999", HUGE, "NaN", "Infinity", "-Infinity"]


@pytest.mark.parametrize("number", NUMBERS_JSON_CANNOT_HOLD)
def test_case_31_a_manual_run_with_such_a_number_is_400_and_starts_nothing(
    user: RegisteredUser, number: str
) -> None:
    workflow_id = workflow(user, [{"id": "start", "type": "trigger.manual", "config": {}}])
    body = ('{"input": {"total": ' + number + "}}").encode()
    problem(user.client.post(f"/workflows/{workflow_id}/execute", body=body, headers=JSON), 400)
    assert runs_of(user, workflow_id) == []


def test_case_31_sign_in_and_registration_with_a_5000_digit_integer_are_400(api: ApiClient) -> None:
    for path in ("/auth/login", "/auth/register"):
        body = ('{"email": ' + HUGE + ', "password": "x", "name": "n"}').encode()
        problem(api.post(path, body=body, headers=JSON), 400)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"total": 1e999}', id="1e999"),
        pytest.param(b'{"total": NaN}', id="nan"),
        pytest.param(b'{"id": ' + HUGE.encode() + b"}", id="5000-digit-integer"),
        pytest.param(b"[" * 10_000 + b"]" * 10_000, id="10000-deep"),
        pytest.param(b'{"a":' * 5_000 + b"1" + b"}" * 5_000, id="5000-deep-objects"),
    ],
)
def test_case_31_a_json_webhook_body_a2n_cannot_hold_is_400_and_starts_nothing(
    api: ApiClient, user: RegisteredUser, body: bytes
) -> None:
    hook = {"id": "hook", "type": "trigger.webhook", "config": {"method": "POST"}}
    workflow_id, path = webhook_path(user, [hook])
    problem(api.request("POST", path, body=body, headers=JSON), 400)
    assert runs_of(user, workflow_id) == []
    # Malformed JSON is still taken as text, as before: only JSON A2N cannot hold is refused.
    taken = api.request("POST", path, body=b"{not json", headers=JSON)
    assert taken.status == 202, taken.body


def test_case_31_invalid_utf8_in_a_json_body_is_400_never_replaced(api: ApiClient) -> None:
    """SECURITY case 12: `zz\\xff@b.cc` used to register as `zz\\ufffd@b.cc` under `a2n dev`."""
    raw = b'{"email": "zz\xff@b.cc", "password": "' + PASSWORD.encode() + b'", "name": "Bad Bytes"}'
    assert problem(api.post("/auth/register", body=raw, headers=JSON), 400)["detail"] == (
        "Request body is not valid UTF-8"
    )
    replaced = {"email": "zz\ufffd@b.cc", "password": PASSWORD}
    problem(api.post("/auth/login", replaced), 401)  # nothing was registered under the replaced text


def test_case_31_invalid_utf8_in_a_webhook_body_is_kept_byte_for_byte(
    api: ApiClient, user: RegisteredUser
) -> None:
    hook = {"id": "hook", "type": "trigger.webhook", "config": {"method": "POST"}}
    _, path = webhook_path(user, [hook])
    raw = b'{"name": "caf\xe9"}'  # Latin-1, not UTF-8
    answer = api.request("POST", path, body=raw, headers=JSON)
    assert answer.status == 202, answer.body
    data = wait_for_execution(user, answer.json["executionId"])["triggerData"]
    assert data["isBase64Encoded"] is True
    assert base64.b64decode(data["body"]) == raw


def test_a_respond_webhook_header_http_cannot_carry_is_a_502_problem_not_a_dropped_connection(
    api: ApiClient, user: RegisteredUser
) -> None:
    """Issue 9 item 14: the local server wrote headers as Latin-1 and dropped the connection."""
    hook = {"id": "hook", "type": "trigger.webhook", "config": {"method": "POST", "mode": "sync"}}
    reply = {"id": "reply", "type": "respond_webhook",
             "config": {"headers": {"X-City": "{{ trigger.body.city }}"}, "body": {"ok": True}}}  # fmt: skip
    _, path = webhook_path(user, [hook, reply])

    answer = api.request("POST", path, body=json.dumps({"city": "Srīperumbūdūr"}).encode(), headers=JSON)

    failed = problem(answer, 502)
    run = wait_for_execution(user, failed["executionId"])
    assert run["status"] == "FAILED"
    nodes = {n["nodeId"]: n for n in user.client.get(f"/executions/{failed['executionId']}").json["nodes"]}
    assert "header 'X-City' contains U+012B" in nodes["reply"]["error"]["message"]
    fine = api.request("POST", path, body=json.dumps({"city": "Sriperumbudur"}).encode(), headers=JSON)
    assert (fine.status, fine.headers["x-city"], fine.json) == (200, "Sriperumbudur", {"ok": True})
