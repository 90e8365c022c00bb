"""SECURITY 30: a canary credential echoed back in any encoding is found nowhere stored.

Every credential type is sent to a server that echoes the request back in one of several ways:
in response headers, in a JSON body, in an ``application/octet-stream`` body (valid UTF-8 or truly
binary, both stored base64-encoded), as the query of a URL, as URL-encoded JSON, and base64 /
base64url-encoded inside JSON. Then everything stored is searched: node states, execution rows and
logs, SQS message bodies and log lines. The search decodes base64 and percent-encoding itself, so a
canary hidden inside an encoded blob at any byte alignment is found.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import logging
import re
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, quote_plus, unquote, unquote_plus, urlencode

import engine_harness
import pytest
from engine_harness import Engine, node, sql, trigger
from scripted_http import JsonHandler, serve
from test_steps_canary_secrets import RecordingSqs, credential, local_keys

engine = engine_harness.engine
__all__ = ["local_keys"]

# Canaries carry the characters each encoding changes: space, + / = (percent, base64), " and \ (JSON).
BEARER = 'CANARYbearer "Qx1\\tok'
HEADER_KEY = "CANARYhdrKey+/=8Lm"
QUERY_KEY = "CANARY qkey+/=9Zp&x"
BASIC_PASSWORD = 'CANARYbasic"Pw\\4'
CUSTOM = "CANARYcustom 5Vb/+"
CLIENT_SECRET = "CANARYclientSecret2"
ACCESS_TOKEN = "CANARYaccessTok3n+/"
OAUTH_ACCESS = 'CANARYoauthAcc"6\\'
OAUTH_REFRESH = "CANARYoauthRefresh7"
CANARIES = (BEARER, HEADER_KEY, QUERY_KEY, BASIC_PASSWORD, CUSTOM, CLIENT_SECRET, ACCESS_TOKEN,
            OAUTH_ACCESS, OAUTH_REFRESH)  # fmt: skip
BASIC_PAIR = f"ada:{BASIC_PASSWORD}"


def canary_forms(secret: str) -> set[str]:
    """Written out independently of the product's own list: raw, percent/plus, JSON-escaped."""
    escaped = {json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    texts = {secret} | escaped
    return texts | {f(t) for t in texts for f in (lambda t: quote(t, safe=""), quote, quote_plus)}


NEEDLES = {form for canary in (*CANARIES, BASIC_PAIR) for form in canary_forms(canary)}
BASE64_RUN = re.compile(r"[A-Za-z0-9+/_-]{8,}={0,2}")


def decoded_views(text: str) -> list[str]:
    """``text`` itself, percent-decoded, and every base64 / base64url run in it decoded."""
    views = [text, unquote(text), unquote_plus(text)]
    for view in list(views):
        for run in BASE64_RUN.findall(view):
            body = run.rstrip("=")
            body = body[: len(body) - (len(body) % 4 == 1)]
            for alphabet in (None, b"-_"):
                try:
                    raw = base64.b64decode(body + "=" * (-len(body) % 4), altchars=alphabet)
                except (binascii.Error, ValueError):
                    continue
                views.append(raw.decode("latin-1"))
    return views


def leaks(text: str) -> set[str]:
    return {needle for view in decoded_views(text) for needle in NEEDLES if needle in view}


def echo_of(path: str, headers: dict[str, str]) -> dict[str, Any]:
    return {"path": path, "headers": headers}


class EchoHandler(JsonHandler):
    """``/<mode>``: the request's path, query and headers back in that mode; ``POST`` is OAuth2's token."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        grant = {"access_token": ACCESS_TOKEN, "token_type": "bearer", "expires_in": 3600}
        self.send_json(200, grant)

    def do_GET(self) -> None:
        headers = dict(self.headers.items())
        echoed = echo_of(self.path, headers)
        mode = self.path.split("?", 1)[0].strip("/")
        if mode == "headers":
            extra = [(f"X-Echo-{i}", f"{k}: {v}") for i, (k, v) in enumerate(headers.items())]
            self.answer("application/json", b"{}", [*extra, ("X-Echo-Url", self.path)])
        elif mode == "json":
            self.send_json(200, echoed)
        elif mode == "binary-text":  # the report: text labelled octet-stream
            self.answer("application/octet-stream", json.dumps(echoed).encode())
        elif mode == "binary":  # not UTF-8 at all: the secret sits among raw bytes
            head = f"GET {self.path}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            self.answer("application/octet-stream", b"\xff\xfe\x00" + head.encode() + b"\x00\xfe")
        elif mode == "url":
            query = urlencode([*headers.items(), ("was", self.path)])
            self.send_json(200, {"next": f"https://callback.example/done?{query}"})
        elif mode == "urlencoded-json":
            form = "echo=" + quote_plus(json.dumps(echoed)) + "&raw=" + quote(json.dumps(echoed))
            self.answer("application/x-www-form-urlencoded", form.encode())
        elif mode == "base64":
            whole = json.dumps(echoed).encode()
            self.send_json(200, {
                "b64": base64.b64encode(whole).decode(),
                "b64url": base64.urlsafe_b64encode(whole).decode().rstrip("="),
                "each": {k: base64.b64encode(v.encode()).decode() for k, v in headers.items()},
                "offset1": base64.b64encode(b"x" + whole).decode(),
                "offset2": base64.urlsafe_b64encode(b"xy" + whole).decode(),
            })  # fmt: skip
        else:
            self.send_json(404, {"unknown": mode})

    def answer(self, content_type: str, body: bytes, headers: Sequence[tuple[str, str]] = ()) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def echo() -> Iterator[str]:
    """The echo server's base URL."""
    server = serve(EchoHandler)
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


ECHO_MODES = ("headers", "json", "binary-text", "binary", "url", "urlencoded-json", "base64")


def credential_data(kind: str, echo: str) -> tuple[str, dict[str, Any]]:
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    return {
        "bearer": ("bearer", {"token": BEARER}),
        "api_key_header": ("api_key", {"key": HEADER_KEY, "in": "header", "name": "X-Api-Key"}),
        "api_key_query": ("api_key", {"key": QUERY_KEY, "in": "query", "name": "api_key"}),
        "basic": ("basic", {"username": "ada", "password": BASIC_PASSWORD}),
        "custom_headers": ("custom_headers", {"headers": {"X-Tenant-Secret": CUSTOM}}),
        "oauth2_client_credentials": ("oauth2_client_credentials", {
            "tokenUrl": f"{echo}/token", "clientId": "client-1", "clientSecret": CLIENT_SECRET}),
        "oauth2": ("oauth2", {
            "accessToken": OAUTH_ACCESS, "refreshToken": OAUTH_REFRESH, "tokenUrl": f"{echo}/token",
            "clientId": "client-2", "clientSecret": CLIENT_SECRET, "expiresAt": later}),
    }[kind]  # fmt: skip


def everything_stored(execution_id: uuid.UUID) -> str:
    rows = {
        "nodes": sql("SELECT input, output, error FROM execution_node_states WHERE execution_id = :e",
                     e=execution_id),
        "execution": sql("SELECT output, error, trigger_data FROM executions WHERE id = :e", e=execution_id),
        "logs": sql("SELECT * FROM execution_logs WHERE execution_id = :e", e=execution_id),
    }  # fmt: skip
    return json.dumps({name: [list(r) for r in found] for name, found in rows.items()}, default=str)


@pytest.mark.parametrize(
    "kind",
    ["bearer", "api_key_header", "api_key_query", "basic", "custom_headers", "oauth2_client_credentials",
     "oauth2"],
)  # fmt: skip
def test_canary_echoed_in_any_encoding_is_stored_nowhere(
    engine: Engine, echo: str, kind: str, capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    caplog.set_level(logging.DEBUG)
    recorder = RecordingSqs(engine.sqs)
    engine.sqs = recorder
    credential_type, data = credential_data(kind, echo)
    credential_id = credential(engine, credential_type, data)
    calls = [
        node(mode.replace("-", "_"), "http_request", {"method": "GET", "url": f"{echo}/{mode}?x=1"},
             credentialId=credential_id)
        for mode in ECHO_MODES
    ]  # fmt: skip
    ids = [c["id"] for c in calls]
    workflow_id = engine.workflow([trigger(), *calls], [("start", ids[0]), *itertools.pairwise(ids)])

    execution_id = engine.start(workflow_id, {"hello": "world"})
    engine.pump()

    states = engine.nodes(execution_id)
    assert engine.execution(execution_id)["status"] == "SUCCEEDED", {k: s["error"] for k, s in states.items()}
    binary = states["binary"]["output"]
    assert binary["bodyEncoding"] == "base64"  # stored encoded: the case the scrubber used to miss
    assert b"***" in base64.b64decode(binary["body"])  # the echo happened and was masked before encoding
    # Every mode really echoed a secret (and it was masked): a server that echoed nothing would make
    # the search below pass without proving anything.
    outputs = {mode: states[mode.replace("-", "_")]["output"] for mode in ECHO_MODES}
    shown = {mode: base64.b64decode(out["body"]).decode("latin-1") if out.get("bodyEncoding") == "base64"
             else json.dumps(out) for mode, out in outputs.items()}  # fmt: skip
    assert [mode for mode, text in shown.items() if "***" not in text] == []
    captured = capfd.readouterr()
    searched = {
        "stored": everything_stored(execution_id),
        "sqs": "\n".join(recorder.bodies),
        "log lines": captured.out + captured.err + caplog.text,
    }
    assert recorder.bodies
    assert {where: leaks(text) for where, text in searched.items()} == {where: set() for where in searched}


def test_the_search_itself_finds_a_canary_hidden_in_base64_at_any_alignment() -> None:
    for prefix in (b"", b"a", b"ab"):
        blob = prefix + f"Authorization: Bearer {BEARER}".encode()
        assert leaks(json.dumps({"x": base64.b64encode(blob).decode()})) != set()
        assert leaks(base64.urlsafe_b64encode(blob).decode().rstrip("=")) != set()
    assert leaks(quote_plus(json.dumps({"h": BASIC_PASSWORD}))) != set()
