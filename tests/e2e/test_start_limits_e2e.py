"""SECURITY case 29 over HTTP through the local runtime: a workspace over its execution-start rate
gets 429 problem+json with Retry-After, on manual runs and webhooks alike, while another workspace
starts as usual."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from e2e_support import ApiClient, RegisteredUser, register_user

from a2n.settings import reset_settings

MANUAL = {"nodes": [{"id": "start", "type": "trigger.manual", "config": {}}], "connections": []}
HOOK = {"nodes": [{"id": "hook", "type": "trigger.webhook", "config": {"method": "POST"}}], "connections": []}


@pytest.fixture
def two_starts_per_workspace(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # The runtime's functions run in this process and read settings per call.
    monkeypatch.setenv("A2N_EXECUTION_STARTS_PER_S", "0.01")
    monkeypatch.setenv("A2N_EXECUTION_STARTS_BURST", "2")
    reset_settings()
    yield
    monkeypatch.undo()
    reset_settings()


def created(user: RegisteredUser, definition: dict[str, object]) -> str:
    answer = user.client.post("/workflows", {"name": "limited", "definition": definition})
    assert answer.status == 201, answer.body
    return str(answer.json["id"])


@pytest.mark.usefixtures("two_starts_per_workspace")
def test_case_29_starts_over_the_workspace_rate_are_429_with_retry_after(
    api: ApiClient, user: RegisteredUser
) -> None:
    manual = created(user, MANUAL)
    hook_id = created(user, HOOK)
    activation = user.client.post(f"/workflows/{hook_id}/activate")
    hook = urlsplit(activation.json["triggers"][0]["webhookUrl"]).path

    assert user.client.post(f"/workflows/{manual}/execute", {"input": 1}).status == 202
    assert api.request("POST", hook, body=b"{}", headers={"Content-Type": "application/json"}).status == 202
    refused = [
        user.client.post(f"/workflows/{manual}/execute", {"input": 2}),
        api.request("POST", hook, body=b"{}", headers={"Content-Type": "application/json"}),
    ]

    for answer in refused:
        assert answer.status == 429, answer.body
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json["type"] == "https://a2n.dev/problems/rate-limited"
        assert 1 <= int(answer.headers["retry-after"]) <= 100  # one token at 0.01/s
    listed = user.client.get(f"/executions?workflowId={manual}").json["items"]
    assert len(listed) == 1
    neighbour = register_user(api, name="Neighbour")
    assert neighbour.client.post(f"/workflows/{created(neighbour, MANUAL)}/execute", {}).status == 202
