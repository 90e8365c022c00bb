"""The local HTTP API behaves like API Gateway HTTP API (payload 2.0) in front of the fixture stack."""

from __future__ import annotations

import base64
import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from a2n.local.clock import ManualClock
from a2n.local.runtime import LocalRuntime

TEMPLATE = Path(__file__).parents[1] / "fixtures" / "runtime" / "template.yaml"


@pytest.fixture(scope="module")
def runtime() -> Iterator[LocalRuntime]:
    with LocalRuntime(TEMPLATE, clock=ManualClock()) as rt:
        yield rt


def call(
    rt: LocalRuntime,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    headers: list[tuple[str, str]] | None = None,
) -> tuple[int, http.client.HTTPMessage, bytes]:
    parts = urlsplit(rt.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    conn.putrequest(method, path)
    for name, value in headers or []:
        conn.putheader(name, value)
    if body is not None:
        conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, response.headers, data


def echoed(data: bytes) -> dict[str, Any]:
    return json.loads(data)["event"]


def test_path_query_headers_and_cookies_reach_the_handler_as_a_v2_event(runtime: LocalRuntime) -> None:
    status, _, data = call(
        runtime,
        "POST",
        "/echo/42?a=1&a=2&q=x%20y",
        body=b'{"hello": "world"}',
        headers=[
            ("Content-Type", "application/json"),
            ("X-Multi", "one"),
            ("X-Multi", "two"),
            ("Cookie", "c1=v1; c2=v2"),
        ],
    )
    assert status == 201
    event = echoed(data)
    assert event["version"] == "2.0"
    assert event["routeKey"] == "ANY /echo/{id}"
    assert event["rawPath"] == "/echo/42"
    assert event["rawQueryString"] == "a=1&a=2&q=x%20y"
    assert event["queryStringParameters"] == {"a": "1,2", "q": "x y"}
    assert event["pathParameters"] == {"id": "42"}
    assert event["headers"]["x-multi"] == "one,two"
    assert "cookie" not in event["headers"]
    assert event["cookies"] == ["c1=v1", "c2=v2"]
    assert event["body"] == '{"hello": "world"}'
    assert event["isBase64Encoded"] is False
    assert event["requestContext"]["http"]["method"] == "POST"
    assert event["requestContext"]["stage"] == "$default"
    assert "authorizer" not in event["requestContext"]


def test_response_status_headers_and_cookies_map_back(runtime: LocalRuntime) -> None:
    status, headers, _ = call(runtime, "GET", "/echo/1")
    assert status == 201
    assert headers["X-Echo"] == "yes"
    assert headers.get_all("Set-Cookie") == ["session=abc; Path=/", "theme=dark"]


@pytest.mark.parametrize(
    "value", ["%E2%82%AC", "a%0D%0ASet-Cookie:%20stolen=1", "nul%00"], ids=["euro-sign", "crlf", "nul"]
)
def test_a_response_header_http_cannot_carry_is_a_gateway_500_not_a_dropped_connection(
    runtime: LocalRuntime, value: str
) -> None:
    status, headers, data = call(runtime, "GET", f"/echo/1?echo={value}")
    assert (status, json.loads(data)) == (500, {"message": "Internal Server Error"})
    assert headers.get("Set-Cookie") is None and headers.get("X-Echo") is None


def test_function_gets_template_environment_with_local_queue_urls(runtime: LocalRuntime) -> None:
    _, _, data = call(runtime, "GET", "/echo/1")
    payload = json.loads(data)
    assert payload["env"]["ECHO_NAME"] == "a2n-local-echo"
    assert payload["env"]["LOG_MODE"] == "text"
    assert json.loads(payload["env"]["A2N_QUEUE_URLS"]) == {"work": runtime.queue_url("WorkQueue")}
    assert payload["context"]["function_name"] == "EchoFunction"
    assert payload["context"]["memory"] == 256
    assert 0 < payload["context"]["remaining_ms"] <= 5000


def test_greedy_proxy_route_captures_the_rest_of_the_path(runtime: LocalRuntime) -> None:
    status, _, data = call(runtime, "GET", "/files/a/b/c.txt")
    assert status == 201
    assert echoed(data)["pathParameters"] == {"proxy": "a/b/c.txt"}
    assert call(runtime, "GET", "/files")[0] == 404


def test_binary_bodies_are_base64_in_both_directions(runtime: LocalRuntime) -> None:
    payload = bytes(range(256))
    status, headers, data = call(
        runtime, "POST", "/binary", body=payload, headers=[("Content-Type", "application/octet-stream")]
    )
    assert status == 200
    assert headers["Content-Type"] == "application/octet-stream"
    assert data == payload[::-1]


def test_a_text_body_that_is_not_utf8_arrives_base64_encoded_byte_for_byte(runtime: LocalRuntime) -> None:
    """Decoding it with replacement (as the runtime once did) turned `zz\\xff@b.cc` into `zz\ufffd@b.cc`,
    hiding the bad byte from the function's own UTF-8 check."""
    raw = b'{"email": "zz\xff@b.cc"}'
    for content_type in ("application/json", "text/plain; charset=utf-8"):
        status, _, data = call(runtime, "POST", "/echo/1", body=raw, headers=[("Content-Type", content_type)])
        event = echoed(data)
        assert (status, event["isBase64Encoded"]) == (201, True)
        assert base64.b64decode(event["body"]) == raw
    status, _, data = call(runtime, "POST", "/echo/1", body="{\"city\": \"Zürich\"}".encode(),
                           headers=[("Content-Type", "application/json")])  # fmt: skip
    assert (echoed(data)["isBase64Encoded"], echoed(data)["body"]) == (False, '{"city": "Zürich"}')


def test_plain_dict_result_becomes_200_json(runtime: LocalRuntime) -> None:
    status, headers, data = call(runtime, "GET", "/health")
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert json.loads(data) == {"status": "ok"}


def test_unknown_route_or_method_is_api_gateway_404(runtime: LocalRuntime) -> None:
    for method, path in (("GET", "/nowhere"), ("GET", "/binary"), ("DELETE", "/health")):
        status, _, data = call(runtime, method, path)
        assert (status, json.loads(data)) == (404, {"message": "Not Found"})


def test_handler_exception_is_500_internal_server_error(runtime: LocalRuntime) -> None:
    status, _, data = call(runtime, "GET", "/echo/crash")
    assert (status, json.loads(data)) == (500, {"message": "Internal Server Error"})


def test_missing_identity_source_is_401_without_calling_the_authorizer(runtime: LocalRuntime) -> None:
    status, _, data = call(runtime, "GET", "/me")
    assert (status, json.loads(data)) == (401, {"message": "Unauthorized"})


def test_authorizer_denial_is_403(runtime: LocalRuntime) -> None:
    status, _, data = call(runtime, "GET", "/me", headers=[("Authorization", "Bearer bad")])
    assert (status, json.loads(data)) == (403, {"message": "Forbidden"})


def test_authorizer_context_reaches_the_route(runtime: LocalRuntime) -> None:
    status, _, data = call(runtime, "GET", "/me", headers=[("Authorization", "Bearer good")])
    assert status == 201
    context = echoed(data)["requestContext"]["authorizer"]["lambda"]
    assert context == {"userId": "u-1", "route": "GET /me"}


def test_payload_over_10_mb_is_413(runtime: LocalRuntime) -> None:
    parts = urlsplit(runtime.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    conn.putrequest("POST", "/binary")
    conn.putheader("Content-Type", "application/octet-stream")
    conn.putheader("Content-Length", str(10 * 1024 * 1024 + 1))
    conn.endheaders()  # the body is never sent: the gateway answers from the declared length
    response = conn.getresponse()
    assert response.status == 413
    conn.close()


def test_methods_api_gateway_does_not_route_get_its_404_not_a_501(runtime: LocalRuntime) -> None:
    status, _, body = call(runtime, "TRACE", "/items/42")
    assert status == 404
    assert json.loads(body) == {"message": "Not Found"}


def test_methods_http_server_does_not_know_get_the_gateway_404_too(runtime: LocalRuntime) -> None:
    status, _, body = call(runtime, "QUERY", "/items/42")
    assert (status, json.loads(body)) == (404, {"message": "Not Found"})


NESTED = TEMPLATE.parent / "nested" / "template.yaml"


def test_a_route_of_a_nested_stack_is_served_through_the_authorizer_of_another_stack() -> None:
    with LocalRuntime(NESTED, clock=ManualClock()) as rt:
        denied, _, _ = call(rt, "GET", "/echo/7", headers=[("Authorization", "Bearer bad")])
        status, _, data = call(rt, "GET", "/echo/7", headers=[("Authorization", "Bearer good")])
        public, _, _ = call(rt, "DELETE", "/public/a/b")

    assert (denied, status, public) == (403, 201, 201)
    event = echoed(data)
    assert event["requestContext"]["authorizer"]["lambda"] == {"userId": "u-1", "route": "GET /echo/{id}"}
    assert event["pathParameters"] == {"id": "7"}
