"""SECURITY 33 / issue 9.15: while Postgres is down the API answers 503 + Retry-After (problem+json)
from the route — never API Gateway's 403, which tells a client its credentials will never do.

``a2n dev`` runs in its own process on its own embedded Postgres, which the test stops and starts
for real (as ``integration/test_steps_postgres_restart.py`` does): the session's shared stack and
database are left alone.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_support import ApiClient, register_user

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def outage_stack(pg_workdir: Path, tmp_path: Path) -> Iterator[tuple[ApiClient, Any]]:
    """An ``a2n dev`` process on a Postgres server this test owns; yields its client and server."""
    from a2n.local.postgres import EmbeddedPostgres

    server = EmbeddedPostgres(pg_workdir / "data", port=free_port())
    url = server.start()
    port = free_port()
    env = {
        **os.environ,
        "A2N_DATABASE_URL": url,
        "A2N_DATABASE_CONNECT_TIMEOUT_S": "2",
        "A2N_LOCAL_KEY_DIR": str(tmp_path / "keys"),
        "A2N_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "a2n.cli", "dev", "--port", str(port), "--moto-port", str(free_port())]
    log = (tmp_path / "dev.log").open("w")
    dev = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        api = ApiClient(f"http://127.0.0.1:{port}")
        _wait_until_healthy(api, dev, tmp_path / "dev.log")
        yield api, server
    finally:
        dev.send_signal(signal.SIGINT)
        try:
            dev.wait(timeout=30)
        except subprocess.TimeoutExpired:
            dev.kill()
            dev.wait()
        log.close()
        server.stop()


def _wait_until_healthy(api: ApiClient, dev: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert dev.poll() is None, f"a2n dev exited: {log.read_text()[-3000:]}"
        try:
            if api.get("/health").status == 200:
                return
        except OSError:
            pass
        time.sleep(0.25)
    raise AssertionError(f"a2n dev did not become healthy: {log.read_text()[-3000:]}")


def test_case33_with_postgres_stopped_routes_answer_503_with_retry_after_then_recover(
    outage_stack: tuple[ApiClient, Any],
) -> None:
    api, server = outage_stack
    user = register_user(api)
    assert user.client.get("/workflows").status == 200

    server.stop()
    try:
        for answer in (
            user.client.get("/workflows"),  # behind the authorizer
            user.client.post("/workflows", {"name": "x", "definition": {"nodes": [], "connections": []}}),
            api.post("/auth/login", {"email": user.email, "password": user.password}),  # public route
        ):
            assert answer.status == 503, (answer.status, answer.body)
            assert int(answer.headers["retry-after"]) > 0
            assert answer.headers["content-type"].startswith("application/problem+json")
            assert answer.json["status"] == 503 and "retry" in answer.json["detail"].lower()
    finally:
        server.start()

    assert user.client.get("/workflows").status == 200  # the same token works again: nothing was lost
