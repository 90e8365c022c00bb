"""Access tokens (SECURITY.md case 17): one algorithm, every claim checked, keys rotate by kid.
Refresh tokens: opaque, 256 bits, stored as a SHA-256 hash."""

from __future__ import annotations

import base64
import json
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from a2n.auth.tokens import (
    Keyring,
    SigningKey,
    hash_token,
    issue_access_token,
    load_keyring,
    new_refresh_token,
    parse_keyring,
    verify_access_token,
)
from a2n.errors import ConfigurationError, Unauthorized
from a2n.settings import reset_settings

KEY = SigningKey(kid="k1", secret=b"k" * 32)
RING = Keyring(current=KEY)
OTHER = SigningKey(kid="k1", secret=b"o" * 32)
SID = "5e55104e-0000-4000-8000-000000000001"


@pytest.fixture(autouse=True)
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("A2N_LOCAL_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.delenv("A2N_JWT_SECRET_ARN", raising=False)
    reset_settings()
    yield tmp_path / "keys"
    reset_settings()


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(datetime.now(UTC).timestamp())
    base = {"iss": "a2n", "aud": "a2n-api", "sub": "u1", "jti": "j1", "sid": SID}
    base |= {"iat": now, "nbf": now, "exp": now + 900}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def forge(
    payload: dict[str, Any], key: bytes = KEY.secret, alg: str = "HS256", kid: str | None = "k1"
) -> str:
    headers = {"kid": kid} if kid else {}
    return jwt.encode(payload, key, algorithm=alg, headers=headers)


def b64(part: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()


def test_issued_token_verifies_with_its_claims() -> None:
    token, expires_in = issue_access_token(
        user_id="u1", session_id=SID, workspace_ids=["w1", "w2"], keyring=RING
    )

    got = verify_access_token(token, keyring=RING)

    assert (got.user_id, got.session_id, got.workspace_ids, expires_in) == ("u1", SID, ("w1", "w2"), 900)
    assert got.expires_at - got.issued_at == timedelta(seconds=900)
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "kid": "k1", "typ": "JWT"}


def test_every_token_has_its_own_jti() -> None:
    first, _ = issue_access_token(user_id="u1", session_id=SID, keyring=RING)
    second, _ = issue_access_token(user_id="u1", session_id=SID, keyring=RING)

    first_id = verify_access_token(first, keyring=RING).token_id
    assert first_id != verify_access_token(second, keyring=RING).token_id


def test_alg_none_is_rejected() -> None:
    token = f"{b64({'alg': 'none', 'typ': 'JWT', 'kid': 'k1'})}.{b64(claims())}."

    with pytest.raises(Unauthorized):
        verify_access_token(token, keyring=RING)


def test_rs256_header_with_the_hmac_secret_as_public_key_is_rejected() -> None:
    # Key confusion: the attacker signs with HMAC but claims RS256, hoping the secret is used as a
    # public key; and a real RS256 token from someone's own RSA key.
    header = b64({"alg": "RS256", "typ": "JWT", "kid": "k1"})
    body = b64(claims())
    import hashlib
    import hmac

    sig = hmac.new(KEY.secret, f"{header}.{body}".encode(), hashlib.sha256).digest()
    confused = f"{header}.{body}.{base64.urlsafe_b64encode(sig).rstrip(b'=').decode()}"
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    real_rs256 = forge(claims(), key=pem, alg="RS256")

    for token in (confused, real_rs256):
        with pytest.raises(Unauthorized):
            verify_access_token(token, keyring=RING)


def test_hs512_with_the_right_key_is_rejected() -> None:
    ring = Keyring(current=SigningKey(kid="k1", secret=b"k" * 64))

    with pytest.raises(Unauthorized):
        verify_access_token(forge(claims(), key=ring.current.secret, alg="HS512"), keyring=ring)


@pytest.mark.parametrize(
    ("case", "token"),
    [
        ("signed with another key", lambda: forge(claims(), key=OTHER.secret)),
        ("unknown kid", lambda: forge(claims(), kid="k9")),
        ("no kid", lambda: forge(claims(), kid=None)),
        ("expired", lambda: forge(claims(exp=int(datetime.now(UTC).timestamp()) - 31))),
        ("not yet valid", lambda: forge(claims(nbf=int(datetime.now(UTC).timestamp()) + 120))),
        ("wrong audience", lambda: forge(claims(aud="someone-else"))),
        ("wrong issuer", lambda: forge(claims(iss="evil"))),
        ("missing jti", lambda: forge(claims(jti=None))),
        ("missing sub", lambda: forge(claims(sub=None))),
        ("missing exp", lambda: forge(claims(exp=None))),
        ("missing iat", lambda: forge(claims(iat=None))),
        ("missing nbf", lambda: forge(claims(nbf=None))),
        ("missing sid: a session that could never be signed out", lambda: forge(claims(sid=None))),
        ("empty sid", lambda: forge(claims(sid=""))),
        ("empty sub", lambda: forge(claims(sub=""))),
        ("workspace ids not strings", lambda: forge(claims(wsp=[1, 2]))),
        ("garbage", lambda: "not.a.jwt"),
        ("empty", lambda: ""),
        ("oversized", lambda: forge(claims(pad="x" * 5000))),
    ],
)
def test_bad_tokens_are_unauthorized(case: str, token: Any) -> None:
    with pytest.raises(Unauthorized):
        verify_access_token(token(), keyring=RING)


def test_tampered_payload_is_rejected() -> None:
    token, _ = issue_access_token(user_id="u1", session_id=SID, keyring=RING)
    header, _, sig = token.split(".")
    forged = f"{header}.{b64(claims(sub='admin'))}.{sig}"

    with pytest.raises(Unauthorized):
        verify_access_token(forged, keyring=RING)


def test_token_issued_in_the_past_expires() -> None:
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    token, _ = issue_access_token(user_id="u1", session_id=SID, now=an_hour_ago, keyring=RING)

    with pytest.raises(Unauthorized, match="expired"):
        verify_access_token(token, keyring=RING)


def test_small_clock_skew_is_tolerated() -> None:
    # A token from a server whose clock runs 20 s ahead is not yet "valid" strictly speaking.
    ahead = datetime.now(UTC) + timedelta(seconds=20)
    token, _ = issue_access_token(user_id="u1", session_id=SID, now=ahead, keyring=RING)

    assert verify_access_token(token, keyring=RING).user_id == "u1"


def test_previous_key_is_accepted_during_rotation_and_new_tokens_use_current() -> None:
    old_token, _ = issue_access_token(user_id="u1", session_id=SID, keyring=RING)
    rotated = parse_keyring(
        json.dumps({"current": {"kid": "k2", "key": "n" * 40}, "previous": {"kid": "k1", "key": "k" * 32}})
    )
    new_token, _ = issue_access_token(user_id="u1", session_id=SID, keyring=rotated)

    assert verify_access_token(old_token, keyring=rotated).user_id == "u1"
    assert jwt.get_unverified_header(new_token)["kid"] == "k2"
    with pytest.raises(Unauthorized):
        verify_access_token(new_token, keyring=RING)


def test_plain_string_secret_gets_a_stable_derived_kid() -> None:
    ring = parse_keyring("s" * 48 + "\n")

    assert ring.current.secret == b"s" * 48
    assert ring.current.kid == parse_keyring("s" * 48).current.kid != parse_keyring("t" * 48).current.kid


@pytest.mark.parametrize(
    "text", ["short", '{"current": {"kid": "k"}}', '{"current": {"kid": "k", "key": "x"}}', "{not json"]
)
def test_bad_secret_is_a_configuration_error_that_does_not_echo_it(text: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        parse_keyring(text)

    assert text not in str(caught.value) or (text == "short" and "short" not in str(caught.value))


def test_local_key_file_is_created_private_and_reused(settings: Path) -> None:
    token, _ = issue_access_token(user_id="u1", session_id=SID)

    assert verify_access_token(token).user_id == "u1"
    key_file = settings / "jwt-signing.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(base64.b64decode(key_file.read_text())) == 32
    assert load_keyring().current.secret == base64.b64decode(key_file.read_text())


def test_refresh_tokens_are_random_256_bit_and_stored_hashed() -> None:
    plain, digest = new_refresh_token()
    other, _ = new_refresh_token()

    assert len(base64.urlsafe_b64decode(plain + "=")) == 32
    assert plain != other
    assert digest == hash_token(plain) != hash_token(other)
    assert plain not in digest and len(digest) == 64
