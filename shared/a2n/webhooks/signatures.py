"""Webhook request authentication: HMAC presets (GitHub, Stripe, Slack, generic), header secret, basic.

Pure: the caller passes secrets and stores `replay_id` in webhook_receipts; comparisons are constant-time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from a2n.errors import Unauthorized

Preset = Literal["generic", "github", "stripe", "slack"]

# The generic scheme is ours, modelled on Stripe's: `X-A2N-Signature: t=<unix seconds>,v1=<hex>` where
# v1 = HMAC-SHA256(secret, f"{t}.".encode() + body); several v1 entries are allowed (sender-side rotation).
GENERIC_HEADER = "X-A2N-Signature"
_SIGNATURE_HEADERS: dict[str, str] = {
    "generic": GENERIC_HEADER,
    "github": "X-Hub-Signature-256",
    "stripe": "Stripe-Signature",
    "slack": "X-Slack-Signature",
}
_SLACK_TIMESTAMP = "X-Slack-Request-Timestamp"
_GITHUB_DELIVERY = "x-github-delivery"


class SignatureInvalid(Unauthorized):
    """The request is not authentic. `reason` is for logs only; the client sees a generic 401."""

    def __init__(self, reason: str) -> None:
        super().__init__("Webhook authentication failed")
        self.reason = reason


@dataclass(frozen=True)
class VerifiedSignature:
    """A successful HMAC check; store `replay_id` to reject a second delivery of the same request."""

    replay_id: str
    timestamp: datetime | None
    secret_index: int  # which of the configured secrets matched, to tell when an old one can be retired
    delivery_id: str | None = None  # GitHub's X-GitHub-Delivery, for logs (it is not signed)


def verify_signature(
    preset: Preset,
    *,
    secrets: Sequence[bytes],
    body: bytes,
    headers: Mapping[str, str],
    now: datetime,
    tolerance_s: int = 300,
    header: str | None = None,
) -> VerifiedSignature:
    """Check a signed webhook request as `preset` signs it; raise SignatureInvalid otherwise.

    `headers` has lower-cased keys; `secrets` may hold two during rotation (any may match); `header`
    overrides the signature header name (the generic preset's is X-A2N-Signature by default).
    """
    if preset not in _SIGNATURE_HEADERS:
        raise ValueError(f"unknown signature preset {preset!r}")
    if now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    usable = [secret for secret in secrets if secret]
    if not usable:
        raise SignatureInvalid("no signing secret configured")  # fail closed: an empty key signs for anyone
    name = (header or _SIGNATURE_HEADERS[preset]).lower()
    presented = headers.get(name)
    if not presented:
        raise SignatureInvalid(f"missing {name} header")
    if preset == "github":
        return _verify_github(usable, body, presented, headers.get(_GITHUB_DELIVERY))
    if preset == "slack":
        stamp = _parse_unix(headers.get(_SLACK_TIMESTAMP.lower()))
        signatures = [presented.removeprefix("v0=")] if presented.startswith("v0=") else []
        payload = f"v0:{stamp}:".encode() + body
    else:
        stamp, signatures = _parse_t_v1(presented)
        payload = f"{stamp}.".encode() + body
    return _verify_timestamped(usable, payload, signatures, stamp=stamp, now=now, tolerance_s=tolerance_s)


def _verify_github(
    secrets: list[bytes], body: bytes, presented: str, delivery: str | None
) -> VerifiedSignature:
    # GitHub signs the body only: no timestamp, so replay protection rests on storing the signature.
    # X-GitHub-Delivery is unsigned (a replayer can change it), so it is reported but not the replay id.
    if not presented.startswith("sha256="):
        raise SignatureInvalid("malformed X-Hub-Signature-256 header")
    index, signature = _matching_secret(secrets, body, [presented.removeprefix("sha256=")])
    return VerifiedSignature(replay_id=signature, timestamp=None, secret_index=index, delivery_id=delivery)


def _verify_timestamped(
    secrets: list[bytes],
    payload: bytes,
    signatures: list[str],
    *,
    stamp: str,
    now: datetime,
    tolerance_s: int,
) -> VerifiedSignature:
    index, signature = _matching_secret(secrets, payload, signatures)
    moment = _from_unix(stamp)
    if abs((now - moment).total_seconds()) > tolerance_s:
        raise SignatureInvalid(f"timestamp outside the +/-{tolerance_s} s tolerance")
    return VerifiedSignature(replay_id=f"{stamp}.{signature}", timestamp=moment, secret_index=index)


def _matching_secret(secrets: list[bytes], payload: bytes, signatures: list[str]) -> tuple[int, str]:
    """Index of the first secret that produced one of `signatures`, and that signature."""
    for index, secret in enumerate(secrets):
        expected = _hmac_hex(secret, payload)
        for presented in signatures:
            if _equal(expected, presented):
                return index, presented
    raise SignatureInvalid(
        "signature does not match" if signatures else "no signature in the expected scheme"
    )


def _parse_t_v1(value: str) -> tuple[str, list[str]]:
    """Stripe-style `t=<unix>,v1=<hex>[,v1=…][,v0=…]`; schemes other than v1 are ignored, as Stripe says."""
    pairs = [part.strip().partition("=") for part in value.split(",")]
    stamps = [v for k, sep, v in pairs if sep and k == "t"]
    if len(stamps) != 1:
        raise SignatureInvalid("signature header needs exactly one t=<unix seconds>")
    return _parse_unix(stamps[0]), [v for k, sep, v in pairs if sep and k == "v1"]


def _parse_unix(value: str | None) -> str:
    """The timestamp exactly as sent (it is part of the signed payload), once checked to be unix seconds."""
    if value is None or not value.isascii() or not value.isdigit() or len(value) > 12:
        raise SignatureInvalid("missing or malformed timestamp")
    return value


def _from_unix(stamp: str) -> datetime:
    try:
        return datetime.fromtimestamp(int(stamp), UTC)
    except (OverflowError, OSError, ValueError):
        raise SignatureInvalid("timestamp out of range") from None


def _hmac_hex(secret: bytes, payload: bytes) -> str:
    return hmac.new(secret, payload, hashlib.sha256).hexdigest()


def _equal(expected: str, presented: str) -> bool:
    # compare_digest only takes ASCII str; bytes also keeps a non-ASCII header from raising.
    return hmac.compare_digest(expected.encode(), presented.encode("utf-8", "surrogateescape"))


def sign_request(
    preset: Preset, secret: bytes, body: bytes, now: datetime, *, header: str | None = None
) -> dict[str, str]:
    """Headers a `preset` sender would attach (for tests, the README's curl example, `a2n webhook sign`)."""
    name = header or _SIGNATURE_HEADERS[preset]
    timestamp = int(now.timestamp())
    if preset == "github":
        return {name: "sha256=" + _hmac_hex(secret, body)}
    if preset == "slack":
        signature = _hmac_hex(secret, f"v0:{timestamp}:".encode() + body)
        return {name: f"v0={signature}", _SLACK_TIMESTAMP: str(timestamp)}
    return {name: f"t={timestamp},v1={_hmac_hex(secret, f'{timestamp}.'.encode() + body)}"}


def verify_header_secret(expected: Sequence[bytes], presented: str | None) -> None:
    """A shared secret sent verbatim in a header; any of `expected` (rotation) is accepted."""
    if presented is None or not presented:
        raise SignatureInvalid("missing secret header")
    if not _matches_any(expected, presented.encode("utf-8", "surrogateescape")):
        raise SignatureInvalid("header secret does not match")


def verify_basic(
    expected_user: str, expected_passwords: Sequence[bytes], authorization_header: str | None
) -> None:
    """HTTP Basic credentials (RFC 7617) against one user and any of `expected_passwords`."""
    scheme, _, encoded = (authorization_header or "").partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        raise SignatureInvalid("missing Basic authorization")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise SignatureInvalid("malformed Basic authorization") from None
    user, colon, password = decoded.partition(b":")
    # Evaluate both checks before deciding so a wrong user costs the same as a wrong password.
    user_ok = _digest_equal(expected_user.encode(), user)
    password_ok = _matches_any(expected_passwords, password)
    if not (colon and user_ok and password_ok):
        raise SignatureInvalid("basic credentials do not match")


def _matches_any(expected: Sequence[bytes], presented: bytes) -> bool:
    results = [_digest_equal(secret, presented) for secret in expected if secret]
    return any(results)


def _digest_equal(expected: bytes, presented: bytes) -> bool:
    # Hashing first makes both sides the same length, so timing reveals neither content nor length.
    return hmac.compare_digest(hashlib.sha256(expected).digest(), hashlib.sha256(presented).digest())
