"""Our SigV4 signer is trusted because it signs exactly as botocore.auth.SigV4Auth does: for the same
request and a frozen clock, the Authorization header (and every signed header) must be identical."""

from __future__ import annotations

import datetime

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from a2n.adapters.http_keepalive import endpoint_of
from a2n.adapters.sigv4 import authorization, signing_key
from a2n.adapters.sqs_wire import CONTENT_TYPE, TARGET, build_request

FROZEN = datetime.datetime(2026, 1, 22, 5, 16, 42)
AMZ_DATE = "20260122T051642Z"
ACCESS_KEY, SECRET_KEY = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+token/with+slashes="
QUEUE_URL = "https://sqs.eu-west-1.amazonaws.com/123456789012/a2n-prod-step-http_request"
ENTRIES = [
    {"Id": "0b7f", "MessageBody": '{"executionId":"e1","nodeId":"fetch","attempt":1}', "DelaySeconds": 0},
    {
        "Id": "9c2a",
        "MessageBody": '{"executionId":"e1","nodeId":"ünïcode ✓","attempt":2}',
        "DelaySeconds": 900,
    },
]


@pytest.fixture(autouse=True)
def frozen_botocore_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    import botocore.auth

    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda *args, **kwargs: FROZEN)


def signed_by_botocore(
    url: str, body: bytes, headers: dict[str, str], token: str | None, region: str
) -> tuple[str, dict[str, str]]:
    """botocore's Authorization header and every header it signed (lower-case names, host included)."""
    request = AWSRequest(method="POST", url=url, data=body, headers=headers)
    signer = SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY, token), "sqs", region)
    signer.add_auth(request)
    signed = {
        name: value for name, value in signer.headers_to_sign(request).items() if name != "authorization"
    }
    return request.headers["Authorization"], signed


@pytest.mark.parametrize("token", [None, SESSION_TOKEN], ids=["static-keys", "session-token"])
@pytest.mark.parametrize(
    ("endpoint_url", "region"),
    [
        ("https://sqs.eu-west-1.amazonaws.com", "eu-west-1"),  # the cloud: the queue URL's host
        ("https://sqs.us-east-1.amazonaws.com:443", "us-east-1"),  # default port: not in the host header
        ("http://127.0.0.1:4566", "us-east-1"),  # a2n dev's moto
        ("http://[::1]:5000/", "us-east-1"),
    ],
)
def test_send_message_batch_is_signed_exactly_as_botocore_signs_it(
    endpoint_url: str, region: str, token: str | None
) -> None:
    body, ours = build_request(
        endpoint_of(endpoint_url),
        QUEUE_URL,
        ENTRIES,
        region=region,
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        token=token,
        amz_date=AMZ_DATE,
    )
    # botocore's JSON serializer sets these two; SigV4Auth adds the date, the token and the host.
    serialized = {"X-Amz-Target": TARGET, "Content-Type": CONTENT_TYPE}
    their_authorization, their_signed = signed_by_botocore(
        endpoint_url.rstrip("/") + "/", body, serialized, token, region
    )

    assert ours.pop("authorization") == their_authorization
    assert ours == their_signed  # the headers we send are the ones botocore signs, host included


def test_header_values_are_trimmed_and_names_sorted_as_botocore_does() -> None:
    headers = {
        "host": "sqs.eu-west-1.amazonaws.com",
        "x-amz-date": AMZ_DATE,
        "x-b": " two   spaces ",
        "x-a": "a",
    }
    ours = authorization(
        method="POST",
        path="/",
        headers=headers,
        payload_hash="e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",  # sha256(b"")
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        region="eu-west-1",
        service="sqs",
        amz_date=AMZ_DATE,
    )
    extra = {"X-B": "  two   spaces ", "X-A": "a"}
    theirs, _ = signed_by_botocore("https://sqs.eu-west-1.amazonaws.com/", b"", extra, None, "eu-west-1")

    assert ours == theirs


def test_the_derived_key_is_computed_once_per_day_region_and_service() -> None:
    key = signing_key(SECRET_KEY, "20260122", "eu-west-1", "sqs")

    assert signing_key(SECRET_KEY, "20260122", "eu-west-1", "sqs") is key
    assert signing_key(SECRET_KEY, "20260123", "eu-west-1", "sqs") != key
