"""The http_request node against a real HTTP server on 127.0.0.1 (allowed through
A2N_HTTP_ALLOW_NETWORKS): methods, bodies, query, credentials incl. OAuth2, statuses, limits."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote_plus, urlsplit

import pytest

from a2n.nodes.context import Credential, NodeContext, NodeFailed, NodeResult
from a2n.nodes.http.oauth2 import forget_client_tokens
from a2n.nodes.registry import get_runner
from a2n.nodes.secrets import scrub, secret_values
from a2n.settings import reset_settings

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


@dataclass
class FakeApi:
    """What the server received, and the OAuth tokens its token endpoint handed out."""

    base: str
    requests: list[Seen] = field(default_factory=list)
    issued: list[str] = field(default_factory=list)

    def seen(self, path: str) -> list[Seen]:
        return [r for r in self.requests if r.path == path]


def _handler(api: FakeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            seen = Seen(
                self.command, parts.path, parse_qs(parts.query), dict(self.headers), self.rfile.read(length)
            )
            api.requests.append(seen)
            route = ROUTES.get(parts.path.split("/")[1], _echo)
            status, headers, body = route(api, seen)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

    return Handler


Reply = tuple[int, dict[str, str], bytes]


def _json(status: int, value: Any, **headers: str) -> Reply:
    return status, {"Content-Type": "application/json", **headers}, json.dumps(value).encode()


def _echo(api: FakeApi, seen: Seen) -> Reply:
    headers = {k.lower(): v for k, v in seen.headers.items()}
    return _json(
        200, {"method": seen.method, "query": seen.query, "headers": headers, "body": seen.body.decode()}
    )


def _status(api: FakeApi, seen: Seen) -> Reply:
    return _json(int(seen.path.split("/")[2]), {"error": "nope"})


def _slow(api: FakeApi, seen: Seen) -> Reply:
    time.sleep(1.5)
    return _json(200, {})


def _big(api: FakeApi, seen: Seen) -> Reply:
    return 200, {"Content-Type": "text/plain"}, b"x" * 5000


def _binary(api: FakeApi, seen: Seen) -> Reply:
    return 200, {"Content-Type": "image/png"}, b"\x89PNG\r\n\x1a\n\x00\xff"


def _redirect(api: FakeApi, seen: Seen) -> Reply:
    return 302, {"Location": seen.query.get("to", ["/redirect"])[0]}, b""  # no target: a loop


def _token(api: FakeApi, seen: Seen) -> Reply:
    form = {k: v[0] for k, v in parse_qs(seen.body.decode()).items()}
    auth = seen.headers.get("Authorization", "")
    by_basic = auth == "Basic " + base64.b64encode(b"client-1:cs-secret").decode()
    by_body = form.get("client_id") == "client-1" and form.get("client_secret") == "cs-secret"
    if not (by_basic or by_body):
        return _json(401, {"error": "invalid_client"})
    if form["grant_type"] == "refresh_token" and form.get("refresh_token") != "rt-1":
        return _json(400, {"error": "invalid_grant"})
    token = f"at-{len(api.issued) + 1}"
    api.issued.append(token)
    return _json(
        200, {"access_token": token, "expires_in": 3600, "refresh_token": "rt-2", "token_type": "Bearer"}
    )


# RFC 6749 §2.3.1 / Appendix B: the id and secret are form-urlencoded, then joined with ":" and base64'd.
RFC_CLIENT_ID, RFC_CLIENT_SECRET = "app:42 +%", "s3:cr%2Bet+x y/="


def _rfc_token(api: FakeApi, seen: Seen) -> Reply:
    """A token endpoint that decodes client credentials exactly as the RFC says."""
    scheme, _, encoded = seen.headers.get("Authorization", "").partition(" ")
    pair = base64.b64decode(encoded).decode() if scheme == "Basic" else ""
    raw_id, _, raw_secret = pair.partition(":")  # the first ':' — any in the values were encoded
    if (unquote_plus(raw_id), unquote_plus(raw_secret)) != (RFC_CLIENT_ID, RFC_CLIENT_SECRET):
        return _json(401, {"error": "invalid_client"})
    token = f"at-{len(api.issued) + 1}"
    api.issued.append(token)
    return _json(200, {"access_token": token, "expires_in": 3600, "token_type": "Bearer"})


def _protected(api: FakeApi, seen: Seen) -> Reply:
    issued = {f"Bearer {t}" for t in api.issued}
    if seen.headers.get("Authorization") not in issued:
        return _json(401, {"error": "unauthorized"})
    return _json(200, {"ok": True, "auth": seen.headers["Authorization"]})


ROUTES: dict[str, Callable[[FakeApi, Seen], Reply]] = {
    "status": _status,
    "slow": _slow,
    "big": _big,
    "binary": _binary,
    "redirect": _redirect,
    "token": _token,
    "rfc-token": _rfc_token,
    "protected": _protected,
}


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeApi]:
    monkeypatch.setenv("A2N_HTTP_ALLOW_NETWORKS", '["127.0.0.0/8"]')
    monkeypatch.setenv("A2N_NODE_OUTPUT_LIMIT_BYTES", "4096")
    reset_settings()
    forget_client_tokens()
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    fake = FakeApi(base=f"http://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = _handler(fake)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()
    reset_settings()


def run_http(
    config: Mapping[str, Any],
    credential: Credential | None = None,
    *,
    save: Callable[[Mapping[str, Any]], None] | None = None,
    now: datetime = NOW,
    node_input: Any = None,
) -> NodeResult:
    ctx = NodeContext(
        execution_id="ex-1",
        node_id="call",
        node_type="http_request",
        attempt=1,
        config=config,
        input=node_input,
        expression_context={
            "input": node_input,
            "trigger": {},
            "nodes": {},
            "vars": {"v": "eu"},
            "execution": {},
        },
        credential=credential,
        timeout_s=10.0,
        now=now,
        refresh_credential=stored_refresh(credential.data, save) if credential and save else None,
    )
    return get_runner("http_request")(ctx)


def stored_refresh(data: Mapping[str, Any], save: Callable[[Mapping[str, Any]], None]) -> Any:
    """The engine's refresh hook in miniature: renew the stored data, store it when it changed."""
    stored = {"data": dict(data)}

    def refresh(renew: Callable[[Mapping[str, Any]], Mapping[str, Any]]) -> Mapping[str, Any]:
        renewed = dict(renew(stored["data"]))
        if renewed != stored["data"]:
            save(renewed)
            stored["data"] = renewed
        return renewed

    return refresh


# --- requests ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_each_method_reaches_the_server_with_idempotency_key_and_user_agent(
    api: FakeApi, method: str
) -> None:
    result = run_http({"method": method, "url": f"{api.base}/echo"})
    assert result.output["status"] == 200
    assert result.output["body"]["method"] == method
    headers = result.output["body"]["headers"]
    assert headers["idempotency-key"] == "ex-1:call"
    assert headers["user-agent"].startswith("a2n/")


def test_head_returns_status_and_headers_without_body(api: FakeApi) -> None:
    result = run_http({"method": "HEAD", "url": f"{api.base}/echo"})
    assert result.output["status"] == 200
    assert result.output["body"] is None
    assert result.output["headers"]["content-type"] == "application/json"


def test_templates_render_into_url_query_headers_and_json_body(api: FakeApi) -> None:
    config = {
        "method": "POST",
        "url": api.base + "/echo/{{ vars.v }}?keep=1&over=old",
        "query": {"over": "{{ input.n }}", "flag": True},
        "headers": {"X-Region": "{{ vars.v }}", "Idempotency-Key": "mine"},
        "body": {"n": "{{ input.n }}", "list": [1, "{{ vars.v }}"]},
    }
    body = run_http(config, node_input={"n": 5}).output["body"]
    assert body["query"] == {"keep": ["1"], "over": ["5"], "flag": ["true"]}
    assert body["headers"]["x-region"] == "eu"
    assert body["headers"]["idempotency-key"] == "mine"  # the user's key wins
    assert body["headers"]["content-type"] == "application/json"
    assert json.loads(body["body"]) == {"n": 5, "list": [1, "eu"]}


def test_form_and_raw_bodies_get_their_default_content_type(api: FakeApi) -> None:
    form = run_http(
        {"method": "POST", "url": f"{api.base}/echo", "bodyType": "form", "body": {"a": "x y", "b": 2}}
    )
    assert form.output["body"]["body"] == "a=x+y&b=2"
    assert form.output["body"]["headers"]["content-type"] == "application/x-www-form-urlencoded"
    raw = run_http(
        {
            "method": "POST",
            "url": f"{api.base}/echo",
            "bodyType": "raw",
            "body": "<x/>",
            "headers": {"Content-Type": "application/xml"},
        }
    )
    assert raw.output["body"]["body"] == "<x/>"
    assert raw.output["body"]["headers"]["content-type"] == "application/xml"


# --- responses --------------------------------------------------------------------------


def test_response_types_text_json_and_binary(api: FakeApi) -> None:
    as_text = run_http({"method": "GET", "url": f"{api.base}/echo", "responseType": "text"})
    assert isinstance(as_text.output["body"], str)
    assert json.loads(as_text.output["body"])["method"] == "GET"
    binary = run_http({"method": "GET", "url": f"{api.base}/binary"}).output
    assert binary["bodyEncoding"] == "base64"
    assert base64.b64decode(binary["body"]) == b"\x89PNG\r\n\x1a\n\x00\xff"
    with pytest.raises(NodeFailed, match="not valid JSON"):
        run_http({"method": "GET", "url": f"{api.base}/binary", "responseType": "json"})


def test_server_errors_and_429_are_retryable_client_errors_are_not(api: FakeApi) -> None:
    for status, retryable in ((500, True), (503, True), (429, True), (404, False), (400, False)):
        with pytest.raises(NodeFailed) as failure:
            run_http({"method": "GET", "url": f"{api.base}/status/{status}"})
        assert failure.value.retryable is retryable, status
        assert failure.value.details == {"status": status, "body": {"error": "nope"}}


def test_fail_on_status_false_outputs_the_error_response(api: FakeApi) -> None:
    result = run_http({"method": "GET", "url": f"{api.base}/status/404", "failOnStatus": False})
    assert result.output["status"] == 404
    assert result.output["body"] == {"error": "nope"}


def test_a_timeout_is_a_retryable_failure(api: FakeApi) -> None:
    with pytest.raises(NodeFailed, match="timed out") as failure:
        run_http({"method": "GET", "url": f"{api.base}/slow", "timeoutMs": 200})
    assert failure.value.retryable is True


def test_a_response_over_the_output_limit_fails_not_retryable(api: FakeApi) -> None:
    with pytest.raises(NodeFailed, match="larger than 4096 bytes") as failure:
        run_http({"method": "GET", "url": f"{api.base}/big"})
    assert failure.value.retryable is False


def test_a_connection_refused_is_retryable(api: FakeApi) -> None:
    with pytest.raises(NodeFailed, match="connection failed") as failure:
        run_http({"method": "GET", "url": "http://127.0.0.1:1/"})
    assert failure.value.retryable is True


# --- credentials ------------------------------------------------------------------------


def test_api_key_in_header_and_in_query(api: FakeApi) -> None:
    in_header = Credential("c1", "api_key", {"key": "k-123456", "in": "header", "name": "X-Api-Key"})
    echoed = run_http(
        {"method": "GET", "url": f"{api.base}/echo", "headers": {"x-api-key": "typed"}}, in_header
    )
    assert echoed.output["body"]["headers"]["x-api-key"] == "k-123456"
    in_query = Credential("c2", "api_key", {"key": "k-123456", "in": "query", "name": "api_key"})
    assert run_http({"method": "GET", "url": f"{api.base}/echo?a=1"}, in_query).output["body"]["query"] == {
        "a": ["1"],
        "api_key": ["k-123456"],
    }


@pytest.mark.parametrize(
    ("credential", "header", "expected"),
    [
        (Credential("b", "bearer", {"token": "tok-abcdef"}), "authorization", "Bearer tok-abcdef"),
        (
            Credential("b", "basic", {"username": "alice", "password": "pw-secret"}),
            "authorization",
            "Basic " + base64.b64encode(b"alice:pw-secret").decode(),
        ),
        (Credential("h", "custom_headers", {"headers": {"X-Tenant": "t-secret"}}), "x-tenant", "t-secret"),
    ],
)
def test_static_credentials_travel_as_headers(
    api: FakeApi, credential: Credential, header: str, expected: str
) -> None:
    result = run_http({"method": "GET", "url": f"{api.base}/echo"}, credential)
    assert result.output["body"]["headers"][header] == expected
    # What the step service will store no longer holds the credential.
    stored = json.dumps(scrub(result.output, secret_values(credential) | result.secrets))
    assert expected.rsplit(" ", maxsplit=1)[-1] not in stored


@pytest.mark.parametrize("client_auth", ["basic", "body"])
def test_oauth2_client_credentials_fetches_once_and_reuses_the_token(api: FakeApi, client_auth: str) -> None:
    data = {
        "tokenUrl": f"{api.base}/token",
        "clientId": "client-1",
        "clientSecret": "cs-secret",
        "scope": "read",
    }
    credential = Credential("cc", "oauth2_client_credentials", {**data, "clientAuth": client_auth})
    first = run_http({"method": "GET", "url": f"{api.base}/protected"}, credential)
    second = run_http(
        {"method": "GET", "url": f"{api.base}/protected"}, credential, now=NOW + timedelta(minutes=58)
    )
    assert first.output["body"]["auth"] == second.output["body"]["auth"] == "Bearer at-1"
    assert len(api.seen("/token")) == 1
    assert parse_qs(api.seen("/token")[0].body.decode())["scope"] == ["read"]
    assert "at-1" in first.secrets
    # Within a minute of expiry the token is fetched again.
    third = run_http(
        {"method": "GET", "url": f"{api.base}/protected"},
        credential,
        now=NOW + timedelta(minutes=59, seconds=1),
    )
    assert third.output["body"]["auth"] == "Bearer at-2"


def test_oauth2_client_credentials_with_a_wrong_secret_fails_not_retryable(api: FakeApi) -> None:
    data = {"tokenUrl": f"{api.base}/token", "clientId": "client-1", "clientSecret": "wrong"}
    with pytest.raises(NodeFailed, match="token endpoint answered 401") as failure:
        run_http(
            {"method": "GET", "url": f"{api.base}/protected"},
            Credential("cc", "oauth2_client_credentials", data),
        )
    assert failure.value.retryable is False


@pytest.mark.parametrize("kind", ["oauth2_client_credentials", "oauth2"])
def test_oauth2_client_basic_auth_form_urlencodes_id_and_secret_as_rfc_6749_says(
    api: FakeApi, kind: str
) -> None:
    """Issue 9.17: a secret with ':', '%' or '+' was sent raw, so the server split it wrongly (401)."""
    data = {"tokenUrl": f"{api.base}/rfc-token", "clientId": RFC_CLIENT_ID}
    data["clientSecret"] = RFC_CLIENT_SECRET
    if kind == "oauth2":
        data |= {"accessToken": "at-old", "refreshToken": "rt-1", "expiresAt": NOW.isoformat()}  # due now
    credential = Credential("rfc", kind, data)
    result = run_http({"method": "GET", "url": f"{api.base}/protected"}, credential, save=lambda _: None)
    assert result.output["body"]["auth"] == "Bearer at-1"
    # The header's form of the pair is a secret like the others: scrubbed from anything stored.
    sent = api.seen("/rfc-token")[0].headers["Authorization"].removeprefix("Basic ")
    assert sent in secret_values(credential)


def test_client_credentials_token_cache_is_bounded_and_drops_expired_tokens(api: FakeApi) -> None:
    """Issue 9.17: the per-container cache kept every token it ever fetched."""
    import time

    from a2n.nodes.http import oauth2
    from a2n.nodes.http.client import Transport

    transport = Transport(time.monotonic() + 60, allow_networks=["127.0.0.0/8"], max_body_bytes=65536)
    data = {"tokenUrl": f"{api.base}/token", "clientId": "client-1", "clientSecret": "cs-secret"}

    def token(credential_id: str, now: datetime) -> str:
        credential = Credential(credential_id, "oauth2_client_credentials", data)
        return oauth2.client_credentials_token(credential, now, transport)

    bound = oauth2.MAX_CACHED_CLIENT_TOKENS
    for n in range(bound + 20):
        token(f"cc-{n}", NOW)
    assert len(oauth2._client_tokens) == bound
    # The most recently used survive (no new fetch); the oldest went first.
    assert token(f"cc-{bound + 19}", NOW) == f"at-{bound + 20}" and len(api.issued) == bound + 20

    token("cc-late", NOW + timedelta(hours=2))  # every cached token has expired by then
    assert len(oauth2._client_tokens) == 1


def oauth2_data(api: FakeApi, expires_at: datetime, access_token: str = "at-old") -> dict[str, Any]:
    return {
        "accessToken": access_token,
        "refreshToken": "rt-1",
        "tokenUrl": f"{api.base}/token",
        "clientId": "client-1",
        "clientSecret": "cs-secret",
        "expiresAt": expires_at.isoformat(),
    }


def test_oauth2_refreshes_before_expiry_and_saves_the_new_tokens(api: FakeApi) -> None:
    saved: list[Mapping[str, Any]] = []
    credential = Credential("o", "oauth2", oauth2_data(api, NOW + timedelta(seconds=30)))
    result = run_http({"method": "GET", "url": f"{api.base}/protected"}, credential, save=saved.append)
    assert result.output["body"]["auth"] == "Bearer at-1"
    assert saved == [
        {
            **credential.data,
            "accessToken": "at-1",
            "refreshToken": "rt-2",
            "expiresAt": "2025-03-01T13:00:00Z",
        }
    ]
    assert {"at-1", "rt-2"} <= result.secrets


def test_oauth2_with_a_fresh_token_does_not_refresh(api: FakeApi) -> None:
    api.issued.append("at-valid")
    credential = Credential("o", "oauth2", oauth2_data(api, NOW + timedelta(hours=1), "at-valid"))
    result = run_http({"method": "GET", "url": f"{api.base}/protected"}, credential, save=lambda data: None)
    assert result.output["body"]["auth"] == "Bearer at-valid"
    assert api.seen("/token") == []


def test_oauth2_refreshes_once_when_the_api_answers_401(api: FakeApi) -> None:
    saved: list[Mapping[str, Any]] = []
    credential = Credential("o", "oauth2", oauth2_data(api, NOW + timedelta(hours=1), "at-revoked"))
    result = run_http({"method": "GET", "url": f"{api.base}/protected"}, credential, save=saved.append)
    assert result.output["body"]["auth"] == "Bearer at-1"
    assert [r.headers.get("Authorization") for r in api.seen("/protected")] == [
        "Bearer at-revoked",
        "Bearer at-1",
    ]
    assert len(saved) == 1


# --- redirects --------------------------------------------------------------------------


def test_same_origin_redirect_keeps_credentials_cross_origin_drops_them(api: FakeApi) -> None:
    credential = Credential("b", "bearer", {"token": "tok-abcdef"})
    same = run_http({"method": "GET", "url": f"{api.base}/redirect?to=/echo"}, credential)
    assert same.output["body"]["headers"]["authorization"] == "Bearer tok-abcdef"
    other_origin = api.base.replace("127.0.0.1", "localhost") + "/echo"
    cross = run_http({"method": "GET", "url": f"{api.base}/redirect?to={other_origin}"}, credential)
    assert "authorization" not in cross.output["body"]["headers"]
    assert cross.output["body"]["headers"]["idempotency-key"] == "ex-1:call"


def test_a_redirect_to_a_private_address_is_blocked(api: FakeApi) -> None:
    for target in ("http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "file:///etc/passwd"):
        with pytest.raises(NodeFailed, match="blocked"):
            run_http({"method": "GET", "url": f"{api.base}/redirect?to={target}"})


def test_redirect_loops_stop_after_five_hops(api: FakeApi) -> None:
    with pytest.raises(NodeFailed, match="more than 5 redirects"):
        run_http({"method": "GET", "url": f"{api.base}/redirect"})
    assert len(api.seen("/redirect")) == 6


def test_failures_do_not_repeat_a_query_string_that_may_hold_an_api_key(api: FakeApi) -> None:
    credential = Credential("k", "api_key", {"key": "k-123456", "in": "query", "name": "api_key"})
    with pytest.raises(NodeFailed) as failure:
        run_http({"method": "GET", "url": f"{api.base}/status/500?x=1"}, credential)
    assert "k-123456" not in str(failure.value)
    assert api.seen("/status/500")[0].query["api_key"] == ["k-123456"]
