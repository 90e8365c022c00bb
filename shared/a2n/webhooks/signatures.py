"""Webhook request authentication: HMAC presets (GitHub, Stripe, Slack, Standard Webhooks, generic),
header secret, basic.

Pure: the caller passes secrets and stores `replay_id` in webhook_receipts; comparisons are constant-time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from a2n.errors import Unauthorized

Preset = Literal["generic", "github", "stripe", "slack", "standard-webhooks"]

# The generic scheme is ours, modelled on Stripe's: `X-A2N-Signature: t=<unix seconds>,v1=<hex>` where
# v1 = HMAC-SHA256(secret, f"{t}.".encode() + body); several v1 entries are allowed (sender-side rotation).
GENERIC_HEADER = "X-A2N-Signature"
_SIGNATURE_HEADERS: dict[str, str] = {
    "generic": GENERIC_HEADER,
    "github": "X-Hub-Signature-256",
    "stripe": "Stripe-Signature",
    "slack": "X-Slack-Signature",
    "standard-webhooks": "webhook-signature",
}
_SLACK_TIMESTAMP = "X-Slack-Request-Timestamp"
_GITHUB_DELIVERY = "x-github-delivery"
# Standard Webhooks: the message id and timestamp are part of what is signed.
STANDARD_ID, STANDARD_TIMESTAMP = "webhook-id", "webhook-timestamp"
STANDARD_SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix the spec gives secrets, not a secret

Digest = Callable[[bytes, bytes], str]  # (secret, payload) -> the signature as the header spells it
# Why a request failed, as the owner's delivery log names it (the sender sees one generic 401).
RefusalKind = Literal["bad_signature", "bad_credentials", "stale", "replay"]


class SignatureInvalid(Unauthorized):
    """The request is not authentic. `reason` and `kind` are for the owner's delivery log and logs
    only; the client sees a generic 401."""

    def __init__(self, reason: str, *, kind: RefusalKind = "bad_signature") -> None:
        super().__init__("Webhook authentication failed")
        self.reason = reason
        self.kind = kind


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
    if preset == "standard-webhooks":
        return _verify_standard(usable, body, presented, headers, now=now, tolerance_s=tolerance_s)
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


def _verify_standard(
    secrets: list[bytes], body: bytes, presented: str, headers: Mapping[str, str], *, now: datetime,
    tolerance_s: int,
) -> VerifiedSignature:  # fmt: skip
    """HMAC-SHA256 with the base64-decoded `whsec_` key over "{webhook-id}.{webhook-timestamp}.{body}";
    `webhook-signature` lists space-separated "v1,<base64>" entries (other versions are ignored)."""
    message_id = headers.get(STANDARD_ID)
    if not message_id:
        raise SignatureInvalid(f"missing {STANDARD_ID} header")
    stamp = _parse_unix(headers.get(STANDARD_TIMESTAMP))
    signatures = [entry[3:] for entry in presented.split(" ") if entry.startswith("v1,")]
    keys = [standard_webhooks_key(secret) for secret in secrets]
    payload = f"{message_id}.{stamp}.".encode() + body
    verified = _verify_timestamped(
        keys, payload, signatures, stamp=stamp, now=now, tolerance_s=tolerance_s, digest=_hmac_base64
    )
    return VerifiedSignature(verified.replay_id, verified.timestamp, verified.secret_index, message_id)


def standard_webhooks_key(secret: bytes) -> bytes:
    """The HMAC key of a Standard Webhooks secret: the base64 (padded or not) after an optional
    `whsec_` prefix, read as the reference library reads it."""
    encoded = secret.removeprefix(STANDARD_SECRET_PREFIX.encode()).rstrip(b"=")
    try:
        key = base64.b64decode(encoded + b"=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if not key:
        raise SignatureInvalid("the configured secret is not a whsec_ base64 key")
    return key


def _verify_timestamped(
    secrets: list[bytes],
    payload: bytes,
    signatures: list[str],
    *,
    stamp: str,
    now: datetime,
    tolerance_s: int,
    digest: Digest | None = None,
) -> VerifiedSignature:
    index, signature = _matching_secret(secrets, payload, signatures, digest)
    moment = _from_unix(stamp)
    if abs((now - moment).total_seconds()) > tolerance_s:
        raise SignatureInvalid(f"timestamp outside the +/-{tolerance_s} s tolerance", kind="stale")
    return VerifiedSignature(replay_id=f"{stamp}.{signature}", timestamp=moment, secret_index=index)


def _matching_secret(
    secrets: list[bytes], payload: bytes, signatures: list[str], digest: Digest | None = None
) -> tuple[int, str]:
    """Index of the first secret that produced one of `signatures` (hex HMAC unless `digest` says
    otherwise), and that signature."""
    for index, secret in enumerate(secrets):
        expected = (digest or _hmac_hex)(secret, payload)
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


def _hmac_base64(secret: bytes, payload: bytes) -> str:
    return base64.b64encode(hmac.new(secret, payload, hashlib.sha256).digest()).decode("ascii")


def _equal(expected: str, presented: str) -> bool:
    # compare_digest only takes ASCII str; bytes also keeps a non-ASCII header from raising.
    return hmac.compare_digest(expected.encode(), presented.encode("utf-8", "surrogateescape"))


def sign_request(
    preset: Preset, secret: bytes, body: bytes, now: datetime, *, header: str | None = None,
    message_id: str = "msg_a2n_test",
) -> dict[str, str]:  # fmt: skip
    """Headers a `preset` sender would attach (for tests and the docs' curl examples)."""
    name = header or _SIGNATURE_HEADERS[preset]
    timestamp = int(now.timestamp())
    if preset == "github":
        return {name: "sha256=" + _hmac_hex(secret, body)}
    if preset == "standard-webhooks":
        signed = f"{message_id}.{timestamp}.".encode() + body
        signature = _hmac_base64(standard_webhooks_key(secret), signed)
        return {STANDARD_ID: message_id, STANDARD_TIMESTAMP: str(timestamp), name: f"v1,{signature}"}
    if preset == "slack":
        signature = _hmac_hex(secret, f"v0:{timestamp}:".encode() + body)
        return {name: f"v0={signature}", _SLACK_TIMESTAMP: str(timestamp)}
    return {name: f"t={timestamp},v1={_hmac_hex(secret, f'{timestamp}.'.encode() + body)}"}


def verify_header_secret(expected: Sequence[bytes], presented: str | None) -> None:
    """A shared secret sent verbatim in a header; any of `expected` (rotation) is accepted."""
    if presented is None or not presented:
        raise SignatureInvalid("missing secret header", kind="bad_credentials")
    if not _matches_any(expected, presented.encode("utf-8", "surrogateescape")):
        raise SignatureInvalid("header secret does not match", kind="bad_credentials")


def verify_basic(
    expected_user: str, expected_passwords: Sequence[bytes], authorization_header: str | None
) -> None:
    """HTTP Basic credentials (RFC 7617) against one user and any of `expected_passwords`."""
    scheme, _, encoded = (authorization_header or "").partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        raise SignatureInvalid("missing Basic authorization", kind="bad_credentials")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise SignatureInvalid("malformed Basic authorization", kind="bad_credentials") from None
    user, colon, password = decoded.partition(b":")
    # Evaluate both checks before deciding so a wrong user costs the same as a wrong password.
    user_ok = _digest_equal(expected_user.encode(), user)
    password_ok = _matches_any(expected_passwords, password)
    if not (colon and user_ok and password_ok):
        raise SignatureInvalid("basic credentials do not match", kind="bad_credentials")


def _matches_any(expected: Sequence[bytes], presented: bytes) -> bool:
    results = [_digest_equal(secret, presented) for secret in expected if secret]
    return any(results)


def _digest_equal(expected: bytes, presented: bytes) -> bool:
    # Hashing first makes both sides the same length, so timing reveals neither content nor length.
    return hmac.compare_digest(hashlib.sha256(expected).digest(), hashlib.sha256(presented).digest())
