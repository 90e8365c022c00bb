"""SECURITY 21 on the step path: canary credentials of every type used by http_request nodes against
a server that echoes the request back. The canaries must appear in no stored node input, output or
error, no execution output or log row, no SQS message and no log line."""

from __future__ import annotations

import itertools
import json
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import engine_harness
import pytest
from engine_harness import Engine, node, sql, trigger
from scripted_http import JsonHandler, serve

from a2n.crypto.envelope import encrypt_credential
from a2n.db.models import Credential
from a2n.db.uow import UnitOfWork
from a2n.settings import reset_settings

engine = engine_harness.engine
BEARER = "CANARYbearer7Qx1"
API_KEY = "CANARY key+/=9Zp"  # characters a query string must encode
BASIC_PASSWORD = "CANARYbasicPw4"
CLIENT_SECRET = "CANARYclientSecret2"
ACCESS_TOKEN = "CANARYaccessTok3n"
CANARIES = (BEARER, API_KEY, BASIC_PASSWORD, CLIENT_SECRET, ACCESS_TOKEN)


def forms(secret: str) -> set[str]:
    """The secret as it may be written: raw, percent- or plus-encoded, JSON-escaped."""
    return {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]}


NEEDLES = {form for canary in CANARIES for form in forms(canary)}


class EchoServer:
    """Answers every request with its method, path+query and headers; /token is an OAuth2 endpoint."""

    def __init__(self) -> None:
        class Handler(JsonHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                if self.path.startswith("/token"):
                    grant = {"access_token": ACCESS_TOKEN, "token_type": "bearer", "expires_in": 3600}
                    self.send_json(200, grant)
                else:
                    self.do_GET()

            def do_GET(self) -> None:
                status = 404 if self.path.startswith("/missing") else 200
                self.send_json(status, {"path": self.path, "headers": dict(self.headers.items())})

        self.server = serve(Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def echo() -> Iterator[EchoServer]:
    server = EchoServer()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def local_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("A2N_KMS_KEY_ID", raising=False)
    monkeypatch.setenv("A2N_LOCAL_KEY_DIR", str(tmp_path / "keys"))
    reset_settings()
    yield
    reset_settings()


def credential(engine: Engine, kind: str, data: dict[str, Any]) -> str:
    credential_id = uuid.uuid4()
    blob = encrypt_credential(data, credential_id=str(credential_id), workspace_id=str(engine.workspace_id))
    with UnitOfWork() as uow:
        uow.session.add(Credential(
            id=credential_id, workspace_id=engine.workspace_id, name=f"{kind}-{credential_id.hex[:6]}",
            type=kind, encrypted_data=blob.ciphertext, data_key_ciphertext=blob.data_key_ciphertext,
            key_id=blob.key_id, key_version=blob.key_version,
        ))  # fmt: skip
        uow.commit()
    return str(credential_id)


class RecordingSqs:
    """The harness's SQS client, keeping every body it receives (what the step functions see)."""

    def __init__(self, sqs: Any) -> None:
        self._sqs = sqs
        self.bodies: list[str] = []

    def receive_message(self, **kwargs: Any) -> Any:
        answer = self._sqs.receive_message(**kwargs)
        self.bodies += [m["Body"] for m in answer.get("Messages", [])]
        return answer

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sqs, name)


def leaks(text: str) -> set[str]:
    return {needle for needle in NEEDLES if needle in text}


def test_canary_credentials_leave_no_trace_on_the_step_path(
    engine: Engine, echo: EchoServer, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    recorder = RecordingSqs(engine.sqs)
    engine.sqs = recorder
    credentials = {
        "bearer": credential(engine, "bearer", {"token": BEARER}),
        "api_key": credential(engine, "api_key", {"key": API_KEY, "in": "query", "name": "api_key"}),
        "basic": credential(engine, "basic", {"username": "ada", "password": BASIC_PASSWORD}),
        "oauth": credential(engine, "oauth2_client_credentials", {
            "tokenUrl": f"{echo.base}/token", "clientId": "client-1", "clientSecret": CLIENT_SECRET}),
    }  # fmt: skip
    calls = [
        node(f"call_{name}", "http_request", {"method": "GET", "url": f"{echo.base}/echo?x=1"},
             credentialId=credential_id)
        for name, credential_id in credentials.items()
    ]  # fmt: skip
    # A node that fails after sending the secret (a 404 echoing it back): its error must be clean too.
    failing = node("fails", "http_request", {"method": "POST", "url": f"{echo.base}/missing"},
                   credentialId=credentials["bearer"], onError="continue")  # fmt: skip
    shape = node("shape", "transform", {"value": {"all": "{{ nodes }}"}})
    ids = [c["id"] for c in calls]
    workflow_id = engine.workflow(
        [trigger(), *calls, failing, shape],
        [("start", ids[0]), *itertools.pairwise(ids), (ids[-1], "fails"), ("fails", "shape")],
    )
    execution_id = engine.start(workflow_id, {"hello": "world"})
    engine.pump()

    execution = engine.execution(execution_id)
    assert execution["status"] == "SUCCEEDED", execution["error"]
    states = engine.nodes(execution_id)
    echoed = states["call_bearer"]["output"]["body"]["headers"]
    assert echoed["Authorization"] == "***"  # the echo happened, and was scrubbed
    assert states["fails"]["error"]["retryable"] is False  # the 404 failed the node; onError continued
    stored = {
        "nodes": [{k: s[k] for k in ("input", "output", "error")} for s in states.values()],
        "execution": {k: execution[k] for k in ("output", "error", "trigger_data")},
        "logs": [
            list(row) for row in sql("SELECT * FROM execution_logs WHERE execution_id = :e", e=execution_id)
        ],
    }
    assert leaks(json.dumps(stored, default=str)) == set()
    assert recorder.bodies and leaks("\n".join(recorder.bodies)) == set()
    for url in recorder.list_queues().get("QueueUrls", []):
        left = recorder.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
        assert leaks(json.dumps(left.get("Messages", []))) == set()
    captured = capfd.readouterr()
    assert leaks(captured.out + captured.err + caplog.text) == set()
