"""Two steps of one execution using the same OAuth2 credential with an expired access token refresh
it once: the second waits for the first's refresh and uses its tokens. A provider that rotates
refresh tokens (and, like many, refuses a spent one) never sees a spent one."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs

import engine_harness
import pytest
from credential_support import load_for_run
from engine_harness import Engine, node, trigger
from scripted_http import JsonHandler, serve

from a2n.crypto.envelope import encrypt_credential
from a2n.db.models import Credential
from a2n.db.uow import UnitOfWork
from a2n.execution.steps import StepMessage, handle_step_message
from a2n.settings import reset_settings

engine = engine_harness.engine


class RotatingProvider:
    """A token endpoint that rotates the refresh token on every grant and refuses a spent one."""

    def __init__(self) -> None:
        self.refresh_token, self.grants, self.refused = "rt-1", 0, 0
        self.access_tokens: set[str] = set()
        provider = self

        class Handler(JsonHandler):
            def do_POST(self) -> None:
                form = {
                    k: v[0]
                    for k, v in parse_qs(
                        self.rfile.read(int(self.headers["Content-Length"])).decode()
                    ).items()
                }
                time.sleep(0.3)  # slow enough for the two steps to overlap
                if form.get("refresh_token") != provider.refresh_token:
                    provider.refused += 1
                    return self.send_json(400, {"error": "invalid_grant"})
                provider.grants += 1
                provider.refresh_token = f"rt-{provider.grants + 1}"
                token = f"at-{provider.grants}"
                provider.access_tokens.add(token)
                grant = {"access_token": token, "refresh_token": provider.refresh_token, "expires_in": 3600}
                self.send_json(200, grant)

            def do_GET(self) -> None:
                bearer = self.headers.get("Authorization", "").removeprefix("Bearer ")
                self.send_json(200 if bearer in provider.access_tokens else 401, {"bearer": bearer})

        self.server = serve(Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def provider(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RotatingProvider]:
    monkeypatch.delenv("A2N_KMS_KEY_ID", raising=False)
    monkeypatch.setenv("A2N_LOCAL_KEY_DIR", str(tmp_path / "keys"))
    reset_settings()
    found = RotatingProvider()
    yield found
    found.server.shutdown()
    found.server.server_close()
    reset_settings()


def test_parallel_steps_refresh_a_shared_oauth2_credential_once(
    engine: Engine, provider: RotatingProvider
) -> None:
    credential_id = uuid.uuid4()
    expired = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    data = {
        "accessToken": "at-0", "refreshToken": "rt-1", "expiresAt": expired,
        "tokenUrl": f"{provider.base}/token", "clientId": "client-1", "clientSecret": "cs-secret",
    }  # fmt: skip
    blob = encrypt_credential(data, credential_id=str(credential_id), workspace_id=str(engine.workspace_id))
    with UnitOfWork() as uow:
        uow.session.add(Credential(
            id=credential_id, workspace_id=engine.workspace_id, name="oauth", type="oauth2",
            encrypted_data=blob.ciphertext, data_key_ciphertext=blob.data_key_ciphertext,
            key_id=blob.key_id, key_version=blob.key_version,
        ))  # fmt: skip
        uow.commit()
    call = {"method": "GET", "url": f"{provider.base}/api"}
    workflow_id = engine.workflow(
        [trigger(), node("a", "http_request", call, credentialId=str(credential_id)),
         node("b", "http_request", call, credentialId=str(credential_id))],
        [("start", "a"), ("start", "b")],
    )  # fmt: skip
    execution_id = engine.start(workflow_id)
    messages = [StepMessage.model_validate_json(m["Body"]) for m in engine.receive("http_request")]
    assert {m.nodeId for m in messages} == {"a", "b"}

    outcomes: list[str] = []
    threads = [threading.Thread(target=lambda m=m: outcomes.append(handle_step_message(m))) for m in messages]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert outcomes == ["completed", "completed"]
    assert (provider.grants, provider.refused) == (1, 0)
    nodes = engine.nodes(execution_id)
    assert {nodes[n]["status"] for n in ("a", "b")} == {"SUCCEEDED"}
    assert {nodes[n]["output"]["status"] for n in ("a", "b")} == {200}
    with UnitOfWork() as uow:
        stored = load_for_run(
            uow.session, workspace_id=engine.workspace_id, credential_id=str(credential_id)
        )
    assert stored.data["refreshToken"] == "rt-2" and stored.data["accessToken"] == "at-1"
    assert engine.execution(execution_id)["status"] == "SUCCEEDED"
