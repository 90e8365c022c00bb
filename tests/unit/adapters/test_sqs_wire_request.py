"""What the lean path puts on the wire: botocore's own SQS model and JSON serializer decide the
protocol, the target and the body; delays are clamped to the 0..900 s SQS accepts."""

from __future__ import annotations

import json

import botocore.serialize
import botocore.session
import pytest

from a2n.adapters.http_keepalive import Endpoint, endpoint_of, origin_of
from a2n.adapters.sqs import SQS_MAX_DELAY_S, QueuedMessage, batch_entries
from a2n.adapters.sqs_wire import CONTENT_TYPE, TARGET, build_request

QUEUE_URL = "https://sqs.eu-west-1.amazonaws.com/123456789012/a2n-prod-step-noop"
MESSAGES = [QueuedMessage("a", '{"executionId":"e","nodeId":"n","attempt":1}'), QueuedMessage("b", "ü ✓", 30)]


def request(token: str | None = None) -> tuple[bytes, dict[str, str]]:
    return build_request(
        endpoint_of("https://sqs.eu-west-1.amazonaws.com"),
        QUEUE_URL,
        batch_entries(MESSAGES),
        region="eu-west-1",
        access_key="AKIDEXAMPLE",
        secret_key="secret",
        token=token,
        amz_date="20260122T051642Z",
    )


def test_body_target_and_content_type_are_what_botocores_serializer_makes_of_the_same_call() -> None:
    model = botocore.session.get_session().get_service_model("sqs")
    assert (model.protocol, model.metadata["jsonVersion"], model.metadata["targetPrefix"]) == (
        "json",
        "1.0",
        "AmazonSQS",
    )
    operation = model.operation_model("SendMessageBatch")
    params = {"QueueUrl": QUEUE_URL, "Entries": batch_entries(MESSAGES)}
    theirs = botocore.serialize.create_serializer("json").serialize_to_request(params, operation)

    body, headers = request()

    assert (operation.http["method"], operation.http["requestUri"]) == ("POST", "/")
    assert json.loads(body) == json.loads(theirs["body"])
    assert headers["x-amz-target"] == theirs["headers"]["X-Amz-Target"] == TARGET
    assert headers["content-type"] == theirs["headers"]["Content-Type"] == CONTENT_TYPE


def test_the_body_carries_the_queue_url_and_id_body_delay_of_each_entry() -> None:
    body, _ = request()

    assert json.loads(body) == {
        "QueueUrl": QUEUE_URL,
        "Entries": [
            {"Id": "a", "MessageBody": '{"executionId":"e","nodeId":"n","attempt":1}', "DelaySeconds": 0},
            {"Id": "b", "MessageBody": "ü ✓", "DelaySeconds": 30},
        ],
    }


@pytest.mark.parametrize(
    ("token", "names"),
    [
        (None, {"host", "x-amz-date", "x-amz-target", "content-type", "authorization"}),
        (
            "tok",
            {"host", "x-amz-date", "x-amz-target", "content-type", "authorization", "x-amz-security-token"},
        ),
    ],
)
def test_headers_are_the_signed_few_and_the_token_only_when_there_is_one(
    token: str | None, names: set[str]
) -> None:
    _, headers = request(token)

    assert set(headers) == names
    assert headers["host"] == "sqs.eu-west-1.amazonaws.com"
    assert headers["authorization"].startswith(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260122/eu-west-1/sqs/"
    )


@pytest.mark.parametrize(("asked", "sent"), [(-5, 0), (0, 0), (1, 1), (900, 900), (901, 900), (86_400, 900)])
def test_delay_seconds_are_clamped_to_what_sqs_accepts(asked: int, sent: int) -> None:
    [entry] = batch_entries([QueuedMessage("x", "body", asked)])

    assert entry["DelaySeconds"] == sent <= SQS_MAX_DELAY_S


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:4566", Endpoint("http", "127.0.0.1", 4566, "/", "127.0.0.1:4566")),
        ("http://localhost:80/", Endpoint("http", "localhost", 80, "/", "localhost")),
        (
            "https://proxy.example:8443/sqs/",
            Endpoint("https", "proxy.example", 8443, "/sqs/", "proxy.example:8443"),
        ),
    ],
)
def test_an_endpoint_url_is_posted_to_at_its_path_with_the_port_only_when_not_the_default(
    url: str, expected: Endpoint
) -> None:
    assert endpoint_of(url) == expected


def test_without_an_endpoint_url_the_queue_urls_host_is_posted_to_at_the_root() -> None:
    host = "sqs.eu-west-1.amazonaws.com"

    assert origin_of(QUEUE_URL) == Endpoint("https", host, None, "/", host)


def test_an_endpoint_that_is_not_http_is_refused() -> None:
    with pytest.raises(ValueError, match="not an http"):
        endpoint_of("ftp://example.com")
