"""Integration actions over HTTP through the local runtime: install the Slack package, store a
credential, run "post message" against a loopback server answering for slack.com, see the output
mapped as the package says (and the token nowhere in what was stored)."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from e2e_support import ApiClient, RegisteredUser, wait_for_execution
from provider_support import ProviderServer, serve_providers

TOKEN = "xoxb-e2e-canary-token"
# https://api.slack.com/methods/chat.postMessage#examples (the documented success answer)
POSTED = {
    "ok": True,
    "channel": "C123ABC456",
    "ts": "1503435956.000247",
    "message": {
        "text": "Here's a message for you",
        "username": "ecto1",
        "bot_id": "B123ABC456",
        "type": "message",
        "subtype": "bot_message",
        "ts": "1503435956.000247",
    },
}


@pytest.fixture
def slack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ProviderServer]:
    yield from serve_providers(tmp_path, monkeypatch)


def post_message_workflow(user: RegisteredUser, credential_id: str) -> str:
    node = {
        "id": "say",
        "type": "integration",
        "credentialId": credential_id,
        "config": {
            "package": "slack",
            "action": "post_message",
            "input": {"channel": "C123ABC456", "text": "{{ trigger.text }}"},
        },
    }
    definition = {
        "nodes": [{"id": "start", "type": "trigger.manual", "config": {}}, node],
        "connections": [{"source": "start", "target": "say"}],
    }
    created = user.client.post("/workflows", {"name": "post to slack", "definition": definition})
    assert created.status == 201, created.body
    return str(created.json["id"])


def run(user: RegisteredUser, workflow_id: str, text: str) -> dict[str, Any]:
    started = user.client.post(f"/workflows/{workflow_id}/execute", {"input": {"text": text}})
    assert started.status == 202, started.body
    return wait_for_execution(user, started.json["executionId"])


def test_install_slack_store_a_credential_and_post_a_message(
    user: RegisteredUser, slack: ProviderServer
) -> None:
    assert user.client.post("/integrations", {"package": "slack"}).status == 201
    credential = user.client.post(
        "/credentials", {"name": "bot", "type": "slack:bot_token", "data": {"token": TOKEN}}
    )
    assert credential.status == 201 and TOKEN not in credential.body.decode(), credential.body
    slack.answer("POST", "/api/chat.postMessage", POSTED)

    finished = run(user, post_message_workflow(user, credential.json["id"]), "Here's a message for you")

    assert finished["status"] == "SUCCEEDED", finished
    # The package's output mapping: channel, ts and the message as Slack stored it.
    assert finished["output"] == {
        "channel": "C123ABC456",
        "ts": "1503435956.000247",
        "message": POSTED["message"],
    }
    sent = slack.requests[-1]
    assert (sent.method, sent.host, sent.path) == ("POST", "slack.com", "/api/chat.postMessage")
    assert sent.headers["authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["content-type"].startswith("application/json")
    assert sent.json() == {"channel": "C123ABC456", "text": "Here's a message for you"}
    assert TOKEN not in json.dumps(finished)


# https://api.slack.com/methods/oauth.v2.access#examples (the documented success answer, abridged)
GRANTED = {
    "ok": True,
    "access_token": "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy",
    "token_type": "bot",
    "scope": "chat:write,channels:read",
    "bot_user_id": "U0KRQLJ9H",
    "app_id": "A0KRD7HC3",
    "team": {"name": "Slack Softball Team", "id": "T9TK3CUKW"},
}


def test_an_oauth2_connect_round_trip_stores_tokens_that_the_action_then_uses(
    api: ApiClient, user: RegisteredUser, other_user: RegisteredUser, slack: ProviderServer
) -> None:
    """https://api.slack.com/authentication/oauth-v2: authorize (PKCE S256, state), redirect with
    a code, oauth.v2.access with client id and secret in the form; then chat.postMessage with it."""
    user.client.post("/integrations", {"package": "slack"})
    client = {"clientId": "3336676.569200954261", "clientSecret": "client-secret-canary"}
    credential = user.client.post(
        "/credentials", {"name": "slack app", "type": "slack:oauth", "data": client}
    ).json
    other_user.client.post("/integrations", {"package": "slack"})
    assert other_user.client.post(f"/credentials/{credential['id']}/oauth2/authorize").status == 404

    started = user.client.post(f"/credentials/{credential['id']}/oauth2/authorize")
    assert started.status == 200, started.body
    url = urlsplit(started.json["authorizationUrl"])
    params = dict(parse_qsl(url.query))
    assert (url.scheme, url.netloc, url.path) == ("https", "slack.com", "/oauth/v2/authorize")
    assert params["response_type"] == "code" and params["client_id"] == client["clientId"]
    assert params["scope"] == "chat:write,channels:read" and params["state"] == started.json["state"]
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    assert urlsplit(params["redirect_uri"]).path == "/oauth2/callback"
    slack.answer("POST", "/api/oauth.v2.access", GRANTED)

    # The user consents; Slack redirects the browser to the callback with a code and the state.
    # (Providers add parameters of their own, e.g. RFC 9207's iss: ignored.)
    callback = f"/oauth2/callback?code=ABC123-code&state={params['state']}&iss=https%3A%2F%2Fslack.com"
    connected = api.get(callback)
    replayed = api.get(callback)

    assert connected.status == 200, connected.body
    assert connected.json == {"credentialId": credential["id"], "connected": True, "expiresAt": None}
    assert replayed.status == 400  # a state works once
    token_call = slack.requests[-1]
    form = dict(parse_qsl(token_call.body.decode()))
    assert (token_call.method, token_call.path) == ("POST", "/api/oauth.v2.access")
    assert form["grant_type"] == "authorization_code" and form["code"] == "ABC123-code"
    assert form["redirect_uri"] == params["redirect_uri"]
    assert (form["client_id"], form["client_secret"]) == (client["clientId"], client["clientSecret"])
    challenge = base64.urlsafe_b64encode(hashlib.sha256(form["code_verifier"].encode()).digest())
    assert challenge.rstrip(b"=").decode() == params["code_challenge"]  # PKCE S256 holds
    shown = user.client.get(f"/credentials/{credential['id']}")
    assert GRANTED["access_token"] not in shown.body.decode()

    slack.answer("POST", "/api/chat.postMessage", POSTED)
    finished = run(user, post_message_workflow(user, credential["id"]), "Here's a message for you")
    assert finished["status"] == "SUCCEEDED", finished
    assert slack.requests[-1].headers["authorization"] == f"Bearer {GRANTED['access_token']}"
    assert GRANTED["access_token"] not in json.dumps(finished)


def test_a_refused_or_forged_callback_stores_nothing(
    api: ApiClient, user: RegisteredUser, slack: ProviderServer
) -> None:
    user.client.post("/integrations", {"package": "slack"})
    data = {"clientId": "1.2", "clientSecret": "s"}
    credential = user.client.post("/credentials", {"name": "app", "type": "slack:oauth", "data": data}).json
    bot = user.client.post(
        "/credentials", {"name": "bot", "type": "slack:bot_token", "data": {"token": TOKEN}}
    ).json
    assert user.client.post(f"/credentials/{bot['id']}/oauth2/authorize").status == 409

    state = user.client.post(f"/credentials/{credential['id']}/oauth2/authorize").json["state"]
    denied = api.get(f"/oauth2/callback?error=access_denied&state={state}")
    forged = api.get("/oauth2/callback?code=x&state=not-a-state-we-issued")
    state = user.client.post(f"/credentials/{credential['id']}/oauth2/authorize").json["state"]
    slack.answer("POST", "/api/oauth.v2.access", {"error": "invalid_code"}, status=400)
    bad_code = api.get(f"/oauth2/callback?code=stale&state={state}")

    assert (denied.status, forged.status, bad_code.status) == (400, 400, 502)
    assert all(r.headers["content-type"] == "application/problem+json" for r in (denied, forged, bad_code))
    workflow = post_message_workflow(user, credential["id"])
    failed = run(user, workflow, "hello")
    assert failed["status"] == "FAILED" and "not connected yet" in json.dumps(failed)
