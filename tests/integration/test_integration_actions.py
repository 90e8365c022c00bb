"""The integration interpreter beyond the catalogue's reference cases: an OAuth2 refresh that goes
through the stored credential (as every engine step does), secrets in the forms a package's
credential travels in, and manifests the interpreter must refuse to follow.

The provider is the loopback TLS server of ``provider_support`` answering for real host names.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from credential_support import load_for_run, local_keys
from provider_support import ProviderServer, serve_providers

from a2n.crypto.envelope import encrypt_credential
from a2n.db.models import Credential as CredentialRow
from a2n.db.models import Workspace
from a2n.nodes.context import Credential, NodeContext, NodeFailed, Renew
from a2n.nodes.http.actions import ActionCall, run_action
from a2n.nodes.secrets import scrub, secret_values, travelling_forms
from a2n.services.credentials import refresh_data
from a2n.services.integrations.builtin import builtin_manifests

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
pytestmark = pytest.mark.usefixtures("local_keys")
__all__ = ["local_keys"]


@pytest.fixture
def provider(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ProviderServer]:
    yield from serve_providers(tmp_path, monkeypatch)


def manifest(name: str) -> dict[str, Any]:
    return next(m for m in builtin_manifests() if m["name"] == name)


def context(credential: Credential | None, **fields: Any) -> NodeContext:
    return NodeContext(
        execution_id="ex-1", node_id="act", node_type="integration", attempt=1, config={}, input=None,
        expression_context={}, credential=credential, timeout_s=10.0, now=NOW, **fields,
    )  # fmt: skip


def stored_credential(db_session, credential_type: str, data: dict[str, Any]) -> CredentialRow:
    workspace = Workspace(name="W", slug=f"w-{uuid.uuid4().hex[:8]}")
    db_session.add(workspace)
    db_session.flush()
    row_id = uuid.uuid4()
    blob = encrypt_credential(data, credential_id=str(row_id), workspace_id=str(workspace.id))
    row = CredentialRow(
        id=row_id, workspace_id=workspace.id, name="sheets", type=credential_type,
        encrypted_data=blob.ciphertext, data_key_ciphertext=blob.data_key_ciphertext,
        key_id=blob.key_id, key_version=blob.key_version,
    )  # fmt: skip
    db_session.add(row)
    db_session.flush()
    return row


def test_a_refresh_through_the_stored_credential_uses_the_manifests_token_url_and_stores_only_tokens(
    provider: ProviderServer, db_session
) -> None:
    """Every engine step refreshes under the credential's row lock, from the data as stored — which
    for a package's OAuth2 type holds the client and the tokens, not the token URL (the manifest's).
    https://developers.google.com/identity/protocols/oauth2/web-server#offline"""
    provider.answer("POST", "/token", {"access_token": "ya29.fresh", "expires_in": 3599})
    provider.answer("GET", "/v4/spreadsheets/S/values/A1", {"range": "Sheet1!A1", "values": [["x"]]})
    stale = {"clientId": "cid", "clientSecret": "csec", "accessToken": "ya29.old", "refreshToken": "1//r",
             "expiresAt": "2020-01-01T00:00:00Z"}  # fmt: skip
    row = stored_credential(db_session, "google-sheets:oauth", stale)

    def refresh(renew: Renew) -> dict[str, Any]:
        return refresh_data(db_session, workspace_id=row.workspace_id, credential_id=str(row.id), renew=renew)

    loaded = load_for_run(db_session, workspace_id=row.workspace_id, credential_id=str(row.id))
    result = run_action(
        context(Credential(loaded.id, loaded.type, loaded.data), refresh_credential=refresh),
        ActionCall(manifest("google-sheets"), "read_values", {"spreadsheetId": "S", "range": "A1"}),
    )

    assert result.output == {"range": "Sheet1!A1", "values": [["x"]]}
    token_call, call = provider.requests
    assert (token_call.host, token_call.path) == ("oauth2.googleapis.com", "/token")
    assert parse_qs(token_call.body.decode())["refresh_token"] == ["1//r"]
    assert call.headers["authorization"] == "Bearer ya29.fresh"
    now_stored = load_for_run(db_session, workspace_id=row.workspace_id, credential_id=str(row.id)).data
    assert now_stored["accessToken"] == "ya29.fresh"
    assert set(now_stored) == set(stale)  # no tokenUrl or clientAuth written into the credential


def basic_echo_manifest() -> dict[str, Any]:
    """A package whose credential travels as HTTP Basic, against a server that echoes it back."""
    return {
        "name": "echo-basic", "version": "1.0.0", "title": "Echo", "description": "echo",
        "category": "other", "hosts": ["api.stripe.com"],
        "credentials": {"pair": {"title": "Pair", "fields": {"user": {"title": "User", "secret": False},
                                                              "password": {"title": "Password"}},
                                 "apply": {"type": "basic", "username": "{{ credential.user }}",
                                           "password": "{{ credential.password }}"}}},
        "actions": {"whoami": {"title": "Who am I", "credentials": ["pair"], "input": {"type": "object"},
                               "request": {"method": "GET", "url": "https://api.stripe.com/v1/whoami"}}},
    }  # fmt: skip


def test_a_basic_pair_echoed_back_by_the_provider_is_scrubbed_from_the_output(
    provider: ProviderServer,
) -> None:
    pair = "acct_7Qz:pw-3f9c1e77a2"
    token = base64.b64encode(pair.encode()).decode()
    provider.answer("GET", "/v1/whoami", {"authorization": f"Basic {token}", "pair": pair})
    credential = Credential("c", "echo-basic:pair", {"user": "acct_7Qz", "password": "pw-3f9c1e77a2"})

    result = run_action(context(credential), ActionCall(basic_echo_manifest(), "whoami", {}))

    (sent,) = provider.requests
    assert sent.headers["authorization"] == f"Basic {token}"
    # what the step stores: the output scrubbed of the credential and the secrets the run names
    stored = json.dumps(scrub(result.output, travelling_forms(secret_values(credential) | result.secrets)))
    assert token not in stored and pair not in stored and "pw-3f9c1e77a2" not in stored
    assert {token, pair} <= result.secrets


def test_body_pagination_over_a_form_body_fails_the_node_cleanly(provider: ProviderServer) -> None:
    page = {"data": [1], "next": "c2"}
    provider.answer("POST", "/v1/search", page)
    package = basic_echo_manifest()
    package["actions"]["search"] = {
        "title": "Search", "credentials": ["pair"], "input": {"type": "object"},
        "request": {"method": "POST", "url": "https://api.stripe.com/v1/search", "bodyType": "form",
                    "body": {"q": "x"}},
        "pagination": {"type": "cursor", "next": "body.next", "param": "cursor", "in": "body",
                       "items": "body.data", "maxPages": 3},
    }  # fmt: skip
    credential = Credential("c", "echo-basic:pair", {"user": "u", "password": "pw-1234"})
    with pytest.raises(NodeFailed, match="needs a JSON object body"):
        run_action(context(credential), ActionCall(package, "search", {}))


def test_a_token_endpoint_outside_the_allow_list_is_never_called(provider: ProviderServer) -> None:
    """A refresh is a hop like any other: the token URL's host must be on the package's list too."""
    package = copy.deepcopy(manifest("google-sheets"))
    package["credentials"]["oauth"]["apply"]["tokenUrl"] = "https://evil.example/token"
    stale = {"clientId": "cid", "clientSecret": "csec", "accessToken": "ya29.old", "refreshToken": "1//r",
             "expiresAt": "2020-01-01T00:00:00Z"}  # fmt: skip
    with pytest.raises(NodeFailed, match="outside the package's allow-list"):
        run_action(
            context(Credential("c", "google-sheets:oauth", stale)),
            ActionCall(package, "read_values", {"spreadsheetId": "S", "range": "A1"}),
        )
    assert provider.requests == []


def test_a_link_header_to_a_host_outside_the_allow_list_ends_the_run_before_it_is_followed(
    provider: ProviderServer,
) -> None:
    provider.answer(
        "GET", "/user/repos", [{"id": 1}],
        headers={"Content-Type": "application/json", "Link": '<https://evil.example/page2>; rel="next"'},
    )  # fmt: skip
    with pytest.raises(NodeFailed, match="outside the package's allow-list"):
        run_action(
            context(Credential("c", "github:token", {"token": "ghp_1234"})),
            ActionCall(manifest("github"), "list_repos", {}),
        )
    assert [r.host for r in provider.requests] == ["api.github.com"]
