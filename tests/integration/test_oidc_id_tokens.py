"""ID-token verification against the loopback provider's real discovery document and JWKS: only
tokens its key signed, for this client, from this issuer, with this flow's nonce, unexpired."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from oidc_provider import LoopbackOidcProvider

from a2n.auth.oidc import ProviderError, discover, reset_caches, verify_id_token


@pytest.fixture
def provider() -> Iterator[LoopbackOidcProvider]:
    running = LoopbackOidcProvider().start()
    reset_caches()
    yield running
    running.stop()
    reset_caches()


def claims(provider: LoopbackOidcProvider, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {"iss": provider.issuer, "sub": "s-1", "aud": provider.client_id, "iat": now, "exp": now + 300,
            "nonce": "n-1", "email": "p@example.com", "email_verified": True}  # fmt: skip
    return {**base, **changes}


def signed(provider: LoopbackOidcProvider, body: dict[str, Any]) -> str:
    return jwt.encode(body, provider._key, algorithm="RS256", headers={"kid": provider._kid})


def test_a_token_signed_by_the_published_key_for_this_flow_verifies(provider: LoopbackOidcProvider) -> None:
    meta = discover(provider.issuer)

    token = signed(provider, claims(provider))
    identity = verify_id_token(meta, token, client_id=provider.client_id, nonce="n-1")

    assert (identity.subject, identity.email, identity.email_verified) == ("s-1", "p@example.com", True)


WRONG = [
    {"nonce": "n-2"},
    {"aud": "other"},
    {"iss": "https://evil.example"},
    {"exp": int(time.time()) - 3600},
    {"aud": ["other", "a2n-test-client"]},
]


@pytest.mark.parametrize("change", WRONG, ids=["nonce", "audience", "issuer", "expired", "azp-missing"])
def test_tokens_for_another_flow_client_issuer_or_time_are_refused(
    provider: LoopbackOidcProvider, change: dict[str, Any]
) -> None:
    meta = discover(provider.issuer)
    with pytest.raises(ProviderError):
        token = signed(provider, claims(provider, **change))
        verify_id_token(meta, token, client_id=provider.client_id, nonce="n-1")


def test_a_token_signed_with_another_key_or_no_key_is_refused(provider: LoopbackOidcProvider) -> None:
    meta = discover(provider.issuer)
    forged = provider.sign_with_other_key(claims(provider))
    unsigned = jwt.encode(claims(provider), None, algorithm="none", headers={"kid": provider._kid})
    shared = "a-shared-secret-of-sufficient-length!!"
    hmac_with_public = jwt.encode(claims(provider), shared, algorithm="HS256", headers={"kid": provider._kid})

    for token in (forged, unsigned, hmac_with_public):
        with pytest.raises(ProviderError):
            verify_id_token(meta, token, client_id=provider.client_id, nonce="n-1")


def test_a_discovery_document_naming_another_issuer_is_refused(provider: LoopbackOidcProvider) -> None:
    assert discover(provider.issuer + "/").issuer == provider.issuer  # a trailing slash is the same
    with pytest.raises(ProviderError, match="another issuer"):
        discover(provider.issuer.replace("127.0.0.1", "localhost"))
