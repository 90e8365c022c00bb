"""The stack the bench measures: Postgres (DATABASE_URL or a throwaway embedded server), the
migrations, and the LocalRuntime of the real template.yaml; plus a minimal HTTP client."""

from __future__ import annotations

import http.client
import json
import shutil
import socket
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from a2n.local.clock import Clock
from a2n.local.runtime import LocalRuntime

PASSWORD = "bench-password-not-secret"  # noqa: S105 - a throwaway local user


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any


@dataclass(frozen=True)
class Client:
    base_url: str
    token: str | None = None

    def call(self, method: str, path: str, body: Any = None) -> Answer:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return self.send(method, path, json.dumps(body).encode() if body is not None else None, headers)

    def send(self, method: str, path: str, raw_body: bytes | None, headers: dict[str, str]) -> Answer:
        """The exact bytes and headers given (a signed webhook body must reach the server unchanged)."""
        parts = urlsplit(self.base_url)
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
        try:
            conn.request(method, path, body=raw_body, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
            return Answer(resp.status, json.loads(raw) if raw else None)
        finally:
            conn.close()


@dataclass(frozen=True)
class BenchUser:
    client: Client
    access_token: str
    workspace_id: str


@dataclass(frozen=True)
class BenchStack:
    runtime: LocalRuntime
    database_url: str
    template: Path

    def register_user(self) -> BenchUser:
        anonymous = Client(self.runtime.url)
        email = f"bench-{uuid.uuid4().hex[:10]}@example.com"
        credentials = {"email": email, "password": PASSWORD}
        for path, expected in (("/auth/register", 202), ("/auth/login", 200)):
            answer = anonymous.call("POST", path, credentials)
            if answer.status != expected:
                raise RuntimeError(f"POST {path} answered {answer.status}: {answer.body}")
        token = answer.body["accessToken"]
        client = Client(self.runtime.url, token)
        me = client.call("GET", "/me").body
        return BenchUser(client, token, me["personalWorkspaceId"])


@contextmanager
def bench_stack(
    template: Path,
    database_url: str | None,
    *,
    clock: Clock | None = None,
    env: Mapping[str, str] | None = None,
) -> Iterator[BenchStack]:
    """`clock`: the runtime's (a ManualClock for simulated time); `env`: extra settings."""
    from a2n.db.migrate import upgrade

    workdir = Path(tempfile.mkdtemp(prefix="a2n-bench-"))
    workdir.chmod(0o755)  # the embedded server runs as an unprivileged user when we are root
    server = None
    try:
        if database_url is None:
            from a2n.local.postgres import EmbeddedPostgres

            server = EmbeddedPostgres(workdir / "pg", port=_free_port())
            database_url = server.start()
        upgrade(database_url)
        # The mixed workflow's http_request nodes call a server of the bench's own on loopback.
        overrides = {
            "A2N_LOCAL_KEY_DIR": str(workdir / "keys"),
            "A2N_LOG_LEVEL": "WARNING",
            "A2N_HTTP_ALLOW_NETWORKS": '["127.0.0.1/32"]',
            **(env or {}),
        }
        runtime = LocalRuntime(template, clock=clock, database_url=database_url, env_overrides=overrides)
        with runtime:
            yield BenchStack(runtime, database_url, template)
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
