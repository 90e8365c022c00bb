"""Access tokens (HS256 JWTs, one allowed algorithm, every claim required) and refresh tokens.

Signing keys: the ``jwt_secret_arn`` secret, either a plain string (≥ 32 chars, used as the key) or
JSON ``{"current": {"kid": "k2", "key": "..."}, "previous": {"kid": "k1", "key": "..."}}`` where
``previous`` (object, list or null) is still accepted while old tokens expire. Without a secret, a
random key in ``local_key_dir/jwt-signing.key`` (dev). Refresh tokens are opaque and stored hashed.

Every access token names its session in ``sid``: the refresh-token family it was issued from (one
per login). Logout and family revocation put that id on a deny-list the authorizer reads, so the
session's access tokens stop at once instead of living out their 15 minutes.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from a2n.errors import ConfigurationError, Unauthorized

ALGORITHM = "HS256"  # the only one accepted: shared-secret keys never meet a public-key algorithm
LEEWAY_S = 30
MIN_KEY_BYTES = 32
MAX_TOKEN_CHARS = 4096
_REQUIRED = ["iss", "aud", "sub", "iat", "nbf", "exp", "jti", "sid"]
_LOCAL_KEY_FILE = "jwt-signing.key"


@dataclass(frozen=True)
class SigningKey:
    """One HMAC key and the ``kid`` that names it in token headers."""

    kid: str
    secret: bytes = field(repr=False)


@dataclass(frozen=True)
class Keyring:
    """The key new tokens are signed with, plus earlier keys still accepted during rotation."""

    current: SigningKey
    previous: tuple[SigningKey, ...] = ()

    def find(self, kid: str) -> SigningKey | None:
        return next((k for k in (self.current, *self.previous) if k.kid == kid), None)


@dataclass(frozen=True)
class AccessClaims:
    """A verified access token. ``workspace_ids`` is a hint from issue time; authorize from the DB."""

    user_id: str
    token_id: str
    # The login session (refresh-token family) the token belongs to: what revocation is keyed by.
    session_id: str
    issued_at: datetime
    expires_at: datetime
    workspace_ids: tuple[str, ...] = ()
    # The session signed in with a second factor (``amr`` holds "otp", RFC 8176): what a workspace's
    # "require 2FA" policy checks.
    two_factor: bool = False


def issue_access_token(
    *,
    user_id: str,
    session_id: str,
    workspace_ids: Sequence[str] = (),
    now: datetime | None = None,
    keyring: Keyring | None = None,
    two_factor: bool = False,
) -> tuple[str, int]:
    """A signed access token for ``user_id`` in session ``session_id``, and its lifetime in seconds."""
    import jwt

    from a2n.settings import get_settings

    settings = get_settings()
    key = (keyring or load_keyring()).current
    issued = int((now or datetime.now(UTC)).timestamp())
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": user_id,
        "iat": issued,
        "nbf": issued,
        "exp": issued + settings.access_token_ttl_s,
        "jti": uuid.uuid4().hex,
        "sid": session_id,
    }
    if workspace_ids:
        claims["wsp"] = list(workspace_ids)
    claims["amr"] = ["pwd", "otp"] if two_factor else ["pwd"]
    token = jwt.encode(claims, key.secret, algorithm=ALGORITHM, headers={"kid": key.kid})
    return token, settings.access_token_ttl_s


def verify_access_token(token: str, *, keyring: Keyring | None = None) -> AccessClaims:
    """The claims of a valid token; Unauthorized for anything else (the reason stays generic)."""
    import jwt

    from a2n.settings import get_settings

    settings = get_settings()
    key = _key_for(token, keyring or load_keyring())
    try:
        payload = jwt.decode(
            token,
            key.secret,
            algorithms=[ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            leeway=LEEWAY_S,
            options={"require": _REQUIRED},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("Access token expired") from None
    except jwt.PyJWTError:
        raise Unauthorized("Invalid access token") from None
    return _claims(payload)


def new_refresh_token() -> tuple[str, str]:
    """A fresh opaque refresh token (256 random bits) and the hash to store for it."""
    plain = secrets.token_urlsafe(32)
    return plain, hash_token(plain)


def hash_token(token: str) -> str:
    """SHA-256 hex: random 256-bit tokens need no slow hash, and the hash is a unique lookup key."""
    return hashlib.sha256(token.encode()).hexdigest()


def load_keyring() -> Keyring:
    """The signing keys from Secrets Manager when configured, else the local dev key file."""
    from a2n.settings import get_settings

    settings = get_settings()
    if settings.jwt_secret_arn:
        from a2n.adapters.secrets import get_secret_string

        return parse_keyring(get_secret_string(settings.jwt_secret_arn))
    return _local_keyring(settings.local_key_dir / _LOCAL_KEY_FILE)


@lru_cache(maxsize=4)
def parse_keyring(text: str) -> Keyring:
    """Read a secret value (plain key or the JSON form in the module docstring)."""
    text = text.strip()
    if not text.startswith("{"):
        return Keyring(current=_plain_key(text.encode()))
    try:
        doc = json.loads(text)
        previous = doc.get("previous") or []
        previous = previous if isinstance(previous, list) else [previous]
        return Keyring(current=_json_key(doc["current"]), previous=tuple(_json_key(p) for p in previous))
    except (ValueError, KeyError, TypeError, AttributeError):
        # ``from None``: a JSON error would quote the secret text; say only what shape was expected.
        raise ConfigurationError(
            'JWT secret JSON must be {"current": {"kid", "key"}, "previous": ...}'
        ) from None


@lru_cache(maxsize=4)
def _local_keyring(path: Path) -> Keyring:
    from a2n.crypto.keyfiles import read_or_create_key_file

    return Keyring(current=_plain_key(read_or_create_key_file(path)))


def _plain_key(secret: bytes) -> SigningKey:
    # A kid derived from the key lets plain-string secrets rotate too: old tokens name the old key.
    _check_length(secret)
    return SigningKey(kid="k" + hashlib.sha256(b"a2n-kid:" + secret).hexdigest()[:16], secret=secret)


def _json_key(entry: dict[str, str]) -> SigningKey:
    secret = entry["key"].encode()
    _check_length(secret)
    return SigningKey(kid=str(entry["kid"]), secret=secret)


def _check_length(secret: bytes) -> None:
    if len(secret) < MIN_KEY_BYTES:
        raise ConfigurationError(f"JWT signing keys must be at least {MIN_KEY_BYTES} bytes")


def _key_for(token: str, keyring: Keyring) -> SigningKey:
    import jwt

    if len(token) > MAX_TOKEN_CHARS:
        raise Unauthorized("Invalid access token")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise Unauthorized("Invalid access token") from None
    kid = header.get("kid")
    key = keyring.find(kid) if isinstance(kid, str) else None
    # Checked here as well as by decode(): a header naming any other algorithm is refused outright.
    if key is None or header.get("alg") != ALGORITHM:
        raise Unauthorized("Invalid access token")
    return key


def _claims(payload: dict[str, Any]) -> AccessClaims:
    sub, jti, sid, wsp = payload.get("sub"), payload.get("jti"), payload.get("sid"), payload.get("wsp", [])
    if not (isinstance(sub, str) and sub and isinstance(jti, str) and jti and isinstance(sid, str) and sid):
        raise Unauthorized("Invalid access token")
    if not (isinstance(wsp, list) and all(isinstance(w, str) for w in wsp)):
        raise Unauthorized("Invalid access token")
    amr = payload.get("amr", [])
    return AccessClaims(
        user_id=sub,
        token_id=jti,
        session_id=sid,
        issued_at=datetime.fromtimestamp(payload["iat"], UTC),
        expires_at=datetime.fromtimestamp(payload["exp"], UTC),
        workspace_ids=tuple(wsp),
        two_factor=isinstance(amr, list) and "otp" in amr,
    )
