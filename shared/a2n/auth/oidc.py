"""OpenID Connect, the client side: discovery, the authorization request (code flow with PKCE S256,
``state`` and ``nonce``), the code exchange and ID-token verification.

ID tokens are verified with PyJWT — already A2N's JWT library — against the provider's JWKS: the
signature (RS256/PS256/ES256 only, never ``none`` or an HMAC with a public key), ``iss`` equal to the
discovered issuer, ``aud`` containing the client id (and ``azp`` equal to it when there are several
audiences), ``exp``/``iat`` with a minute of leeway, and ``nonce`` equal to the one this flow sent.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import quote, urlencode

from a2n.errors import A2NError

HTTP_TIMEOUT_S = 10
ALLOWED_ALGORITHMS = ("RS256", "PS256", "ES256")
LEEWAY_S = 60
_METADATA_TTL_S = 3600


class ProviderError(A2NError):
    """The identity provider refused or answered something that cannot be trusted (502)."""

    status, title, type_slug = 502, "Identity provider error", "identity-provider"


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


@dataclass(frozen=True)
class IdentityClaims:
    subject: str
    email: str | None
    email_verified: bool
    name: str | None


def pkce_pair() -> tuple[str, str]:
    """A PKCE code verifier (RFC 7636: 43-128 chars) and its S256 challenge."""
    verifier = secrets.token_urlsafe(64)
    return verifier, _b64url(hashlib.sha256(verifier.encode()).digest())


def discover(issuer: str) -> ProviderMetadata:
    """The provider's metadata (``/.well-known/openid-configuration``), cached for an hour; its
    ``issuer`` must be exactly the configured one (OpenID Connect Discovery §4.3)."""
    return _discover(issuer.rstrip("/"), int(time.time() // _METADATA_TTL_S))


def authorization_url(
    meta: ProviderMetadata,
    *,
    client_id: str,
    redirect_uri: str,
    scopes: str,
    state: str,
    nonce: str,
    code_challenge: str,
) -> str:
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": scopes,
        "state": state,
        "nonce": nonce,
        "code_challenge": code_challenge,
        "code_challenge_method": "S256",
    }
    separator = "&" if "?" in meta.authorization_endpoint else "?"
    return f"{meta.authorization_endpoint}{separator}{urlencode(query)}"


def exchange_code(
    meta: ProviderMetadata,
    *,
    client_id: str,
    client_secret: str,
    code: str,
    redirect_uri: str,
    code_verifier: str,
) -> str:
    """Trade the authorization code for tokens; returns the ID token. Client authentication is
    ``client_secret_basic`` with id and secret form-urlencoded first (RFC 6749 §2.3.1)."""
    import urllib.error
    import urllib.request

    form = urlencode(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        }
    ).encode()
    basic = base64.b64encode(f"{quote(client_id, safe='')}:{quote(client_secret, safe='')}".encode()).decode()
    request = urllib.request.Request(  # noqa: S310 - the operator configures the provider's https URL
        meta.token_endpoint,
        data=form,
        method="POST",
        headers={
            "Authorization": f"Basic {basic}",
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as answer:  # noqa: S310
            body = json.loads(answer.read(1_048_576))
    except urllib.error.HTTPError as error:
        raise ProviderError(f"The identity provider refused the code ({error.code})") from None
    except (OSError, ValueError):
        raise ProviderError("The identity provider's token endpoint could not be reached") from None
    id_token = body.get("id_token") if isinstance(body, dict) else None
    if not isinstance(id_token, str):
        raise ProviderError("The identity provider sent no ID token")
    return id_token


def verify_id_token(meta: ProviderMetadata, id_token: str, *, client_id: str, nonce: str) -> IdentityClaims:
    """The verified claims of ``id_token`` (see the module docstring); ProviderError otherwise."""
    import jwt

    try:
        key = _jwks_client(meta.jwks_uri).get_signing_key_from_jwt(id_token)
        claims = jwt.decode(
            id_token,
            key.key,
            algorithms=list(ALLOWED_ALGORITHMS),
            audience=client_id,
            issuer=meta.issuer,
            leeway=LEEWAY_S,
            options={"require": ["iss", "sub", "aud", "exp", "iat"]},
        )
    except jwt.PyJWTError as error:
        raise ProviderError(f"The ID token is not valid: {type(error).__name__}") from None
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise ProviderError("The ID token is not valid: azp")
    if not isinstance(claims.get("nonce"), str) or not secrets.compare_digest(claims["nonce"], nonce):
        raise ProviderError("The ID token is not valid: nonce")
    subject = claims["sub"]
    if not isinstance(subject, str) or not subject:
        raise ProviderError("The ID token is not valid: sub")
    email = claims.get("email") if isinstance(claims.get("email"), str) else None
    name = claims.get("name") if isinstance(claims.get("name"), str) else None
    return IdentityClaims(subject, email, claims.get("email_verified") is True, name)


@lru_cache(maxsize=16)
def _discover(issuer: str, epoch: int) -> ProviderMetadata:
    doc = _fetch_json(f"{issuer}/.well-known/openid-configuration")
    try:
        meta = ProviderMetadata(
            issuer=str(doc["issuer"]),
            authorization_endpoint=str(doc["authorization_endpoint"]),
            token_endpoint=str(doc["token_endpoint"]),
            jwks_uri=str(doc["jwks_uri"]),
        )
    except (KeyError, TypeError):
        raise ProviderError("The identity provider's discovery document is incomplete") from None
    if meta.issuer.rstrip("/") != issuer:
        raise ProviderError("The identity provider's discovery document names another issuer")
    return meta


@lru_cache(maxsize=16)
def _jwks_client(jwks_uri: str) -> Any:
    from jwt import PyJWKClient

    # Keys are cached and refetched when a token names an unknown kid (a provider's key rotation).
    return PyJWKClient(jwks_uri, cache_keys=True, lifespan=3600, timeout=HTTP_TIMEOUT_S)


def _fetch_json(url: str) -> dict[str, Any]:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=HTTP_TIMEOUT_S) as answer:  # noqa: S310
            doc = json.loads(answer.read(1_048_576))
    except (OSError, ValueError):
        raise ProviderError("The identity provider could not be reached") from None
    if not isinstance(doc, dict):
        raise ProviderError("The identity provider answered something other than a JSON object")
    return doc


def reset_caches() -> None:
    _discover.cache_clear()
    _jwks_client.cache_clear()


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
