"""HMAC webhook presets verified as GitHub, Stripe and Slack sign (SECURITY cases 25 and 26).

Expected signatures come from the services' published examples or are computed here independently.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from a2n.webhooks.signatures import SignatureInvalid, sign_request, verify_signature

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
SECRET = b"whsec_test_secret_value"
BODY = json.dumps({"id": "evt_1", "type": "invoice.paid", "amount": 1200}).encode()


def hex_hmac(secret: bytes, payload: bytes) -> str:
    return hmac.new(secret, payload, hashlib.sha256).hexdigest()


def lower(headers: dict[str, str]) -> dict[str, str]:
    return {key.lower(): value for key, value in headers.items()}


def signed_headers(preset: str, secret: bytes, body: bytes, at: datetime) -> dict[str, str]:
    """Headers built here from each service's documented scheme, not from sign_request."""
    t = int(at.timestamp())
    if preset == "github":
        return {"x-hub-signature-256": "sha256=" + hex_hmac(secret, body)}
    if preset == "slack":
        return {
            "x-slack-signature": "v0=" + hex_hmac(secret, f"v0:{t}:".encode() + body),
            "x-slack-request-timestamp": str(t),
        }
    name = "stripe-signature" if preset == "stripe" else "x-a2n-signature"
    return {name: f"t={t},v1={hex_hmac(secret, f'{t}.'.encode() + body)}"}


PRESETS = ["github", "stripe", "slack", "generic"]
TIMESTAMPED = ["stripe", "slack", "generic"]


def verify(preset: str, headers: dict[str, str], *, body: bytes = BODY, now: datetime = NOW, **kw: object):
    return verify_signature(preset, secrets=[SECRET], body=body, headers=headers, now=now, **kw)  # type: ignore[arg-type]


def test_github_documented_example_verifies() -> None:
    # docs.github.com "Validating webhook deliveries" test values.
    headers = {
        "x-hub-signature-256": "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
        "x-github-delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
    }
    result = verify_signature(
        "github", secrets=[b"It's a Secret to Everybody"], body=b"Hello, World!", headers=headers, now=NOW
    )
    assert result.replay_id == "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert result.timestamp is None and result.delivery_id == "72d3162e-cc78-11e3-81ab-4c9367dc0958"


SLACK_BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
    b"&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
    b"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
SLACK_SIGNATURE = "a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


def test_slack_documented_example_verifies() -> None:
    # api.slack.com "Verifying requests from Slack" worked example.
    headers = {"x-slack-signature": f"v0={SLACK_SIGNATURE}", "x-slack-request-timestamp": "1531420618"}
    result = verify_signature(
        "slack",
        secrets=[b"8f742231b10e8888abcd99yyyzzz85a5"],
        body=SLACK_BODY,
        headers=headers,
        now=datetime.fromtimestamp(1531420618 + 42, UTC),
    )
    assert result.replay_id == f"1531420618.{SLACK_SIGNATURE}"
    assert result.timestamp == datetime.fromtimestamp(1531420618, UTC)


def test_stripe_header_with_several_schemes_verifies_on_any_v1_and_ignores_v0() -> None:
    t = int(NOW.timestamp())
    good = hex_hmac(SECRET, f"{t}.".encode() + BODY)
    header = f"t={t},v1={'0' * 64},v1={good},v0={hex_hmac(b'other', BODY)}"
    result = verify("stripe", {"stripe-signature": header})
    assert result.replay_id == f"{t}.{good}" and result.timestamp == NOW


def test_stripe_v0_alone_is_not_accepted() -> None:
    t = int(NOW.timestamp())
    header = f"t={t},v0={hex_hmac(SECRET, f'{t}.'.encode() + BODY)}"
    with pytest.raises(SignatureInvalid) as caught:
        verify("stripe", {"stripe-signature": header})
    assert caught.value.reason == "no signature in the expected scheme"


@pytest.mark.parametrize("preset", PRESETS)
def test_each_preset_accepts_a_signature_computed_as_documented(preset: str) -> None:
    result = verify(preset, signed_headers(preset, SECRET, BODY, NOW))
    assert result.secret_index == 0


@pytest.mark.parametrize("preset", PRESETS)
def test_sign_request_produces_the_documented_headers(preset: str) -> None:
    assert lower(sign_request(preset, SECRET, BODY, NOW)) == signed_headers(preset, SECRET, BODY, NOW)  # type: ignore[arg-type]


def test_generic_signature_header_is_configurable() -> None:
    headers = lower(sign_request("generic", SECRET, BODY, NOW, header="X-Acme-Sig"))
    assert list(headers) == ["x-acme-sig"]
    assert verify("generic", headers, header="X-Acme-Sig").timestamp == NOW
    with pytest.raises(SignatureInvalid, match="authentication failed"):
        verify("generic", headers)  # default X-A2N-Signature is absent


# --- SECURITY case 25 -------------------------------------------------------------------------------


@pytest.mark.parametrize("preset", PRESETS)
def test_unsigned_request_is_rejected(preset: str) -> None:
    with pytest.raises(SignatureInvalid) as caught:
        verify(preset, {"content-type": "application/json"})
    assert caught.value.status == 401 and "missing" in caught.value.reason


@pytest.mark.parametrize("preset", PRESETS)
def test_wrong_secret_is_rejected(preset: str) -> None:
    with pytest.raises(SignatureInvalid) as caught:
        verify(preset, signed_headers(preset, b"attacker-guess", BODY, NOW))
    assert caught.value.reason == "signature does not match"


@pytest.mark.parametrize("preset", PRESETS)
def test_re_serialised_body_with_the_same_json_is_rejected(preset: str) -> None:
    headers = signed_headers(preset, SECRET, BODY, NOW)
    same_json = json.dumps(json.loads(BODY), separators=(",", ":")).encode()
    assert same_json != BODY and json.loads(same_json) == json.loads(BODY)
    with pytest.raises(SignatureInvalid, match="authentication failed"):
        verify(preset, headers, body=same_json)


@pytest.mark.parametrize("preset", TIMESTAMPED)
@pytest.mark.parametrize("skew", [301, -301, 86400])
def test_timestamp_outside_tolerance_is_rejected(preset: str, skew: int) -> None:
    headers = signed_headers(preset, SECRET, BODY, NOW - timedelta(seconds=skew))
    with pytest.raises(SignatureInvalid) as caught:
        verify(preset, headers)
    assert caught.value.reason == "timestamp outside the +/-300 s tolerance"


@pytest.mark.parametrize("preset", TIMESTAMPED)
@pytest.mark.parametrize("skew", [300, -300, 0])
def test_timestamp_within_tolerance_is_accepted(preset: str, skew: int) -> None:
    verify(preset, signed_headers(preset, SECRET, BODY, NOW - timedelta(seconds=skew)))


def test_tolerance_is_configurable() -> None:
    headers = signed_headers("stripe", SECRET, BODY, NOW - timedelta(seconds=61))
    with pytest.raises(SignatureInvalid):
        verify("stripe", headers, tolerance_s=60)


def test_github_has_no_timestamp_so_an_old_delivery_verifies_and_replay_rests_on_the_signature() -> None:
    headers = signed_headers("github", SECRET, BODY, NOW) | {"x-github-delivery": "d-1"}
    first = verify("github", headers, now=NOW)
    replay = verify("github", headers | {"x-github-delivery": "d-2-forged"}, now=NOW + timedelta(days=30))
    # The receipts table rejects the replay although its (unsigned) delivery id changed.
    assert first.replay_id == replay.replay_id


@pytest.mark.parametrize("preset", PRESETS)
def test_the_same_request_twice_has_one_replay_id_and_another_request_a_new_one(
    preset: str,
) -> None:
    headers = signed_headers(preset, SECRET, BODY, NOW)
    other = signed_headers(preset, SECRET, BODY + b" ", NOW)
    first, again = verify(preset, headers), verify(preset, headers, now=NOW + timedelta(seconds=5))
    assert first.replay_id == again.replay_id
    assert verify(preset, other, body=BODY + b" ").replay_id != first.replay_id


@pytest.mark.parametrize("preset", PRESETS)
def test_either_secret_is_accepted_during_rotation(preset: str) -> None:
    new, old = b"new-secret", b"old-secret"
    for signer, index in ((new, 0), (old, 1)):
        headers = signed_headers(preset, signer, BODY, NOW)
        result = verify_signature(preset, secrets=[new, old], body=BODY, headers=headers, now=NOW)  # type: ignore[arg-type]
        assert result.secret_index == index
    with pytest.raises(SignatureInvalid):
        verify_signature(  # type: ignore[arg-type]
            preset,
            secrets=[new, old],
            body=BODY,
            headers=signed_headers(preset, b"retired", BODY, NOW),
            now=NOW,
        )


@pytest.mark.parametrize("secrets", [[], [b""]])
@pytest.mark.parametrize("preset", PRESETS)
def test_without_a_secret_nothing_verifies(preset: str, secrets: list[bytes]) -> None:
    # HMAC with an empty key is computable by anyone; fail closed.
    with pytest.raises(SignatureInvalid) as caught:
        verify_signature(
            preset, secrets=secrets, body=BODY, headers=signed_headers(preset, b"", BODY, NOW), now=NOW
        )  # type: ignore[arg-type]
    assert caught.value.reason == "no signing secret configured"


MALFORMED = [
    ("github", {"x-hub-signature-256": "sha1=" + hex_hmac(SECRET, BODY)}),
    ("github", {"x-hub-signature-256": "sha256=caf\u00e9"}),
    ("stripe", {"stripe-signature": "v1=" + "0" * 64}),
    ("stripe", {"stripe-signature": "t=abc,v1=" + "0" * 64}),
    ("stripe", {"stripe-signature": "t=1,t=2,v1=" + "0" * 64}),
    ("stripe", {"stripe-signature": "t=-1714564800,v1=" + "0" * 64}),
    ("stripe", {"stripe-signature": "t=99999999999999999999,v1=" + "0" * 64}),
    ("stripe", {"stripe-signature": "garbage"}),
    ("slack", {"x-slack-signature": "v0=" + "0" * 64}),
    ("slack", {"x-slack-signature": "v1=abc", "x-slack-request-timestamp": "1714564800"}),
    ("slack", {"x-slack-signature": "v0=abc", "x-slack-request-timestamp": "\u0661\u0662"}),
    ("generic", {"x-a2n-signature": ""}),
]


@pytest.mark.parametrize(("preset", "headers"), MALFORMED)
def test_malformed_signature_headers_are_rejected_not_crashing(preset: str, headers: dict[str, str]) -> None:
    with pytest.raises(SignatureInvalid):
        verify(preset, headers)


def test_the_client_facing_error_never_carries_the_reason_or_the_secret() -> None:
    with pytest.raises(SignatureInvalid) as caught:
        verify("stripe", signed_headers("stripe", b"attacker-guess", BODY, NOW))
    problem = caught.value.problem()
    assert problem["status"] == 401 and problem["detail"] == "Webhook authentication failed"
    assert SECRET.decode() not in repr(problem) + caught.value.reason


def test_naive_now_and_unknown_presets_are_programming_errors() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        verify("stripe", signed_headers("stripe", SECRET, BODY, NOW), now=NOW.replace(tzinfo=None))
    with pytest.raises(ValueError, match="unknown signature preset"):
        verify("gitlab", {})


# --- SECURITY case 26: secret comparison is constant-time ------------------------------------------


def _altered(headers: dict[str, str], position: int, replacement: str = "0") -> dict[str, str]:
    """The headers with one hex digit of the signature changed (position counts from the signature's
    start; negative from its end)."""
    name, value = next((k, v) for k, v in headers.items() if k != "x-slack-request-timestamp")
    start = len(value) - 64  # every preset's signature is the last 64 hex digits of its header
    index = start + position if position >= 0 else len(value) + position
    digit = value[index]
    swapped = replacement if digit != replacement else "1"
    return headers | {name: value[:index] + swapped + value[index + 1 :]}


def _resized(headers: dict[str, str], change: int) -> dict[str, str]:
    name, value = next((k, v) for k, v in headers.items() if k != "x-slack-request-timestamp")
    return headers | {name: value[:change] if change < 0 else value + "0" * change}


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize(
    "tamper",
    [
        lambda h: _altered(h, 0),
        lambda h: _altered(h, -1),
        lambda h: _resized(h, -1),
        lambda h: _resized(h, 1),
        lambda h: _altered(h, 5, "\u00e9"),
    ],
    ids=["first-digit", "last-digit", "one-short", "one-long", "non-ascii"],
)
def test_a_near_miss_signature_is_rejected_like_any_other(preset: str, tamper: Any) -> None:
    headers = signed_headers(preset, SECRET, BODY, NOW)
    with pytest.raises(SignatureInvalid) as caught:
        verify(preset, tamper(headers))
    assert caught.value.reason == "signature does not match"


@pytest.mark.parametrize("preset", PRESETS)
def test_verification_runs_the_same_steps_wherever_the_signature_differs(
    preset: str, lines_run: Callable[[Callable[[], Any]], list[tuple[str, int]]]
) -> None:
    """A check that stops at the first differing character, or rejects a wrong length early, runs
    other lines for other mismatches (and takes measurably different times): here every mismatch,
    from the first digit to a wrong length, takes one path."""
    headers = signed_headers(preset, SECRET, BODY, NOW)
    mismatches = [_altered(headers, 0), _altered(headers, -1), _resized(headers, -1), _resized(headers, 9)]

    paths = [lines_run(lambda h=h: verify(preset, h)) for h in mismatches]

    assert paths[0] and all(path == paths[0] for path in paths), preset
