"""Sign in with OpenID Connect over HTTP, against a real provider on loopback (discovery, JWKS,
RS256 ID tokens, PKCE): a new account, a linked one, linking an existing account only after its
owner confirms, and the refusals (replayed state, forged ID token, unverified address)."""

from __future__ import annotations

import http.client
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from e2e_support import PASSWORD, ApiClient, RegisteredUser
from oidc_provider import LoopbackOidcProvider, Person

PROVIDER = "loopback"
PROBLEM = "application/problem+json"


def browser_round_trip(api: ApiClient, provider: LoopbackOidcProvider) -> tuple[str, str, dict[str, str]]:
    """What a browser does: GET the authorization URL at the provider, follow nothing, read where it
    redirects (the app's redirect URI with code and state). Returns code, state and the URL's query."""
    started = api.get(f"/auth/oidc/{PROVIDER}/authorize")
    assert started.status == 200, started.body
    url = urlsplit(started.json["authorizationUrl"])
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    conn.request("GET", f"{url.path}?{url.query}")
    answer = conn.getresponse()
    assert answer.status == 302, answer.read()
    back = urlsplit(answer.getheader("Location") or "")
    conn.close()
    returned = {k: v[0] for k, v in parse_qs(back.query).items()}
    assert returned["state"] == started.json["state"]
    return returned["code"], returned["state"], query


def callback(api: ApiClient, code: str, state: str) -> Any:
    return api.post(f"/auth/oidc/{PROVIDER}/callback", {"code": code, "state": state})


@pytest.fixture
def person(oidc_provider: LoopbackOidcProvider) -> Person:
    email = f"oidc-{uuid.uuid4().hex[:8]}@example.com"
    oidc_provider.person = Person(f"sub-{uuid.uuid4().hex[:8]}", email)
    oidc_provider.id_token_overrides = {}
    return oidc_provider.person


def test_a_new_person_signs_in_and_gets_an_account(
    api: ApiClient, oidc_provider: LoopbackOidcProvider, person: Person
) -> None:
    code, state, sent = browser_round_trip(api, oidc_provider)
    assert sent["code_challenge_method"] == "S256" and sent["nonce"]
    assert sent["scope"] == "openid email profile"

    signed_in = callback(api, code, state)

    assert signed_in.status == 200, signed_in.body
    me = api.get("/me", token=signed_in.json["accessToken"]).json
    assert me["email"] == person.email and me["emailVerified"] is True
    request = oidc_provider.token_requests[-1]
    assert request["code_verifier"] and request["grant_type"] == "authorization_code"

    again = browser_round_trip(api, oidc_provider)  # the same person, now linked
    second = callback(api, again[0], again[1])
    assert second.status == 200 and second.json["user"]["id"] == me["id"]
    sessions = api.get("/me/sessions", token=second.json["accessToken"]).json["items"]
    assert {s["method"] for s in sessions} == {f"oidc:{PROVIDER}"}


def test_a_state_works_once(api: ApiClient, oidc_provider: LoopbackOidcProvider, person: Person) -> None:
    code, state, _ = browser_round_trip(api, oidc_provider)
    assert callback(api, code, state).status == 200

    replay = callback(api, code, state)
    assert replay.status == 400 and replay.headers["content-type"].startswith(PROBLEM)


def test_an_id_token_the_provider_did_not_sign_for_this_flow_is_refused(
    api: ApiClient, oidc_provider: LoopbackOidcProvider, person: Person
) -> None:
    forged = ({"nonce": "someone-elses-nonce"}, {"aud": "another-client"}, {"iss": "https://evil.example"})
    for overrides in forged:
        oidc_provider.id_token_overrides = overrides
        code, state, _ = browser_round_trip(api, oidc_provider)
        refused = callback(api, code, state)
        assert refused.status == 502, (overrides, refused.body)
        assert refused.headers["content-type"].startswith(PROBLEM)
    oidc_provider.id_token_overrides = {}


def test_an_existing_account_is_linked_only_after_its_owner_confirms(
    api: ApiClient, oidc_provider: LoopbackOidcProvider, user: RegisteredUser
) -> None:
    oidc_provider.person = Person(f"sub-{uuid.uuid4().hex[:8]}", user.email)
    code, state, _ = browser_round_trip(api, oidc_provider)

    conflict = callback(api, code, state)
    assert conflict.status == 409 and conflict.json["linkToken"]
    link_token = conflict.json["linkToken"]
    wrong = api.post("/auth/oidc/link", {"linkToken": link_token, "password": "not it at all"})
    assert wrong.status == 403

    linked = api.post("/auth/oidc/link", {"linkToken": link_token, "password": PASSWORD})
    assert linked.status == 200 and linked.json["user"]["id"] == user.user_id
    again = browser_round_trip(api, oidc_provider)
    assert callback(api, again[0], again[1]).json["user"]["id"] == user.user_id
    events = [e["type"] for e in user.client.get("/me/security-events").json["items"]]
    assert "identity_linked" in events


def test_an_unverified_address_of_an_existing_account_is_refused(
    api: ApiClient, oidc_provider: LoopbackOidcProvider, user: RegisteredUser
) -> None:
    oidc_provider.person = Person(f"sub-{uuid.uuid4().hex[:8]}", user.email, email_verified=False)
    code, state, _ = browser_round_trip(api, oidc_provider)

    refused = callback(api, code, state)

    assert refused.status == 403 and "not verified" in refused.json["detail"]


def test_an_unknown_provider_is_404(api: ApiClient) -> None:
    assert api.get("/auth/oidc/nope/authorize").status == 404
