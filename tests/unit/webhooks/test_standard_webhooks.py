"""The `standard-webhooks` preset against the Standard Webhooks reference library (PyPI
`standardwebhooks`, a test-only dependency): what it signs we accept, what we sign it accepts.

Spec: `webhook-id`, `webhook-timestamp` and `webhook-signature` ("v1,<base64>" entries separated by
spaces) over "{id}.{timestamp}.{body}", keyed with the base64 after `whsec_`, ±5 minutes.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from a2n.webhooks.signatures import SignatureInvalid, sign_request, verify_signature

KEY = base64.b64encode(b"a 24-byte secret key !!!").decode()
SECRET = f"whsec_{KEY}"
OTHER = "whsec_" + base64.b64encode(b"another key, not the one").decode()
BODY = json.dumps({"type": "invoice.paid", "data": {"id": "in_1", "amount": 1200}}).encode()


def reference_headers(secret: str, body: bytes, at: datetime, message_id: str = "msg_2Kx") -> dict[str, str]:
    """Headers as a Standard Webhooks sender builds them, with the reference library's signature."""
    signature = Webhook(secret).sign(message_id, at, body.decode())
    stamp = str(int(at.timestamp()))
    return {"webhook-id": message_id, "webhook-timestamp": stamp, "webhook-signature": signature}


def verify(headers: dict[str, str], *, secrets: list[str] | None = None, body: bytes = BODY,
           now: datetime | None = None, **kw: object):  # fmt: skip
    return verify_signature(
        "standard-webhooks", secrets=[s.encode() for s in secrets or [SECRET]], body=body,
        headers={k.lower(): v for k, v in headers.items()}, now=now or datetime.now(UTC), **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def test_a_signature_made_by_the_reference_library_verifies() -> None:
    now = datetime.now(UTC)
    verified = verify(reference_headers(SECRET, BODY, now, "msg_abc"), now=now)
    assert verified.delivery_id == "msg_abc"  # the signed webhook-id: the provider's delivery identity
    assert verified.timestamp == now.replace(microsecond=0)


def test_the_reference_library_verifies_what_sign_request_produces() -> None:
    now = datetime.now(UTC)
    headers = sign_request("standard-webhooks", SECRET.encode(), BODY, now, message_id="msg_ours")
    assert Webhook(SECRET).verify(BODY, headers) == json.loads(BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(OTHER).verify(BODY, headers)


def test_unpadded_and_unprefixed_secrets_are_read_as_the_reference_reads_them() -> None:
    now = datetime.now(UTC)
    headers = reference_headers(SECRET, BODY, now)
    for variant in (KEY, SECRET.rstrip("="), KEY.rstrip("=")):
        assert verify(headers, secrets=[variant], now=now).secret_index == 0


def test_any_v1_entry_of_a_space_separated_list_may_match_and_other_versions_are_ignored() -> None:
    now = datetime.now(UTC)
    ours = reference_headers(SECRET, BODY, now)
    theirs = reference_headers(OTHER, BODY, now)["webhook-signature"]
    ours["webhook-signature"] = f"v1a,AAAA {theirs} {ours['webhook-signature']}"
    assert verify(ours, now=now).secret_index == 0
    only_v1a = {**ours, "webhook-signature": "v1a," + ours["webhook-signature"].rsplit(",", 1)[1]}
    with pytest.raises(SignatureInvalid):
        verify(only_v1a, now=now)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda h: {**h, "webhook-id": "msg_other"},  # the id is signed
        lambda h: {**h, "webhook-timestamp": str(int(h["webhook-timestamp"]) + 1)},  # so is the time
        lambda h: {k: v for k, v in h.items() if k != "webhook-id"},
        lambda h: {k: v for k, v in h.items() if k != "webhook-signature"},
        lambda h: {**h, "webhook-timestamp": "soon"},
        lambda h: reference_headers(OTHER, BODY, datetime.fromtimestamp(int(h["webhook-timestamp"]), UTC)),
    ],
)
def test_tampered_unsigned_or_wrongly_keyed_requests_are_refused(tamper: object) -> None:
    now = datetime.now(UTC)
    with pytest.raises(SignatureInvalid) as refused:
        verify(tamper(reference_headers(SECRET, BODY, now)), now=now)  # type: ignore[operator]
    assert refused.value.kind == "bad_signature"


def test_a_body_changed_after_signing_is_refused() -> None:
    now = datetime.now(UTC)
    with pytest.raises(SignatureInvalid):
        verify(reference_headers(SECRET, BODY, now), body=BODY + b" ", now=now)


@pytest.mark.parametrize("skew", [-301, 301])
def test_outside_five_minutes_is_stale_as_the_reference_says(skew: int) -> None:
    sent = datetime.now(UTC) - timedelta(seconds=skew)
    headers = reference_headers(SECRET, BODY, sent)
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(BODY, headers)
    with pytest.raises(SignatureInvalid) as refused:
        verify(headers)
    assert refused.value.kind == "stale"


def test_a_secret_that_is_not_base64_verifies_nothing() -> None:
    now = datetime.now(UTC)
    with pytest.raises(SignatureInvalid):
        verify(reference_headers(SECRET, BODY, now), secrets=["whsec_not base64!"], now=now)
