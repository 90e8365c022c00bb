"""e2e fixtures: the real ``template.yaml`` served by the local runtime, and an HTTP client.

One stack per test session (started by the first e2e test; e2e runs last), on the session's migrated
throwaway database; tests talk to it only over HTTP, like a user of ``a2n dev`` would.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from e2e_support import ApiClient, RegisteredUser, register_user
from oidc_provider import LoopbackOidcProvider

from a2n.local.clock import ManualClock
from a2n.local.runtime import LocalRuntime

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def clock() -> ManualClock:
    """The scheduler's clock: schedules fire only when a test advances it."""
    return ManualClock()


@pytest.fixture(scope="session")
def key_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The stack's local key material (JWT signing key, credential master key)."""
    return tmp_path_factory.mktemp("keys")


OIDC_PROVIDER = "loopback"
OIDC_SECRET_NAME = "a2n/e2e/oidc-client-secret"
OIDC_REDIRECT_URI = "https://app.example/oidc/callback"


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[LoopbackOidcProvider]:
    """A real OpenID Connect provider on loopback (discovery, JWKS, RS256 ID tokens, PKCE)."""
    provider = LoopbackOidcProvider().start()
    yield provider
    provider.stop()


@pytest.fixture(scope="session", params=[True, False], ids=["inline-on", "inline-off"])
def stack(
    request: pytest.FixtureRequest,
    database_url: str,
    clock: ManualClock,
    key_dir: Path,
    truncate_tables: Callable[[], None],
    oidc_provider: LoopbackOidcProvider,
) -> Iterator[LocalRuntime]:
    """The whole application from template.yaml, as ``a2n dev`` runs it; every e2e test runs against
    it twice: pure nodes inline (the default) and as one queued step per node (A2N_INLINE_PURE_NODES,
    the default of workflows that do not set settings.inlinePureNodes)."""
    env = {
        "A2N_LOCAL_KEY_DIR": str(key_dir),
        # e2e tests call local HTTP servers through the http_request node.
        "A2N_HTTP_ALLOW_NETWORKS": '["127.0.0.0/8"]',
        "A2N_LOG_LEVEL": "WARNING",
        # Every e2e request comes from 127.0.0.1 and every test registers users: the per-IP limit of
        # emailing endpoints would refuse them (the per-address limit is tested over HTTP).
        "A2N_MAIL_PER_IP_PER_HOUR": "100000",
        # Sign-in with the loopback provider; its client secret is put in (moto's) Secrets Manager.
        "A2N_OIDC_PROVIDERS": json.dumps(
            {
                OIDC_PROVIDER: {
                    "issuer": oidc_provider.issuer,
                    "clientId": oidc_provider.client_id,
                    "clientSecretArn": OIDC_SECRET_NAME,
                    "redirectUri": OIDC_REDIRECT_URI,
                }
            }
        ),
        "A2N_INLINE_PURE_NODES": "true" if request.param else "false",
    }
    template = ROOT / "template.yaml"
    try:
        with LocalRuntime(template, clock=clock, database_url=database_url, env_overrides=env) as rt:
            secrets = rt.aws_client("secretsmanager")
            secrets.create_secret(Name=OIDC_SECRET_NAME, SecretString=oidc_provider.client_secret)
            yield rt
    finally:
        # e2e tests commit over HTTP; later test packages share this database and expect it empty.
        truncate_tables()


@pytest.fixture
def api(stack: LocalRuntime) -> ApiClient:
    """An anonymous client of the running stack."""
    return ApiClient(stack.url)


@pytest.fixture
def user(api: ApiClient) -> RegisteredUser:
    """A freshly registered user (with a personal workspace) and its client."""
    return register_user(api)


@pytest.fixture
def other_user(api: ApiClient) -> RegisteredUser:
    """A second, unrelated tenant."""
    return register_user(api, name="Other Tenant")

