"""Secret scrubbing (SECURITY promise 4, case 21): credential values and their derived forms are
masked anywhere inside what the step service stores."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import quote, quote_plus

import pytest

from a2n.nodes.context import Credential
from a2n.nodes.secrets import scrub, scrub_bytes, secret_values, travelling_forms


def test_secret_values_are_the_data_leaves_and_the_basic_pair_and_bearer_forms() -> None:
    basic = Credential("c1", "basic", {"username": "alice", "password": "s3cret-pw"})
    token = base64.b64encode(b"alice:s3cret-pw").decode()
    assert secret_values(basic) == {"alice", "s3cret-pw", "alice:s3cret-pw", token}
    bearer = Credential("c2", "bearer", {"token": "tok-123456"})
    assert secret_values(bearer) == {"tok-123456", "Bearer tok-123456"}


def test_descriptors_and_short_values_are_not_secrets_but_nested_custom_headers_are() -> None:
    api_key = Credential("c1", "api_key", {"key": "k-987654", "in": "header", "name": "X-Api-Key"})
    assert secret_values(api_key) == {"k-987654"}
    custom = Credential("c2", "custom_headers", {"headers": {"name": "tenant-secret", "X-Short": "abc"}})
    assert secret_values(custom) == {"tenant-secret"}
    assert secret_values(None) == frozenset()


def test_oauth_descriptors_stay_readable_while_ids_and_secrets_are_masked() -> None:
    data = {"tokenUrl": "https://idp.example/token", "clientId": "client-1", "clientSecret": "cs-abcdef"}
    values = secret_values(Credential("c", "oauth2_client_credentials", data))
    assert "https://idp.example/token" not in values
    assert {"client-1", "cs-abcdef", base64.b64encode(b"client-1:cs-abcdef").decode()} <= values


def test_scrub_masks_secrets_inside_strings_and_keys_at_any_depth_without_touching_other_values() -> None:
    value = {
        "headers": {"authorization": "Bearer tok-123456", "x-echo": "prefix tok-123456 suffix"},
        "tok-123456": [1, True, None, 2.5, ["deep tok-123456"], ("tuple tok-123456",)],
        "plain": "nothing here",
    }
    assert scrub(value, {"tok-123456", "Bearer tok-123456"}) == {
        "headers": {"authorization": "***", "x-echo": "prefix *** suffix"},
        "***": [1, True, None, 2.5, ["deep ***"], ["tuple ***"]],
        "plain": "nothing here",
    }
    assert value["headers"]["authorization"] == "Bearer tok-123456"  # the input is not modified


def test_scrub_prefers_the_longest_secret_so_no_fragment_is_left() -> None:
    assert scrub("Basic YWxpY2U6cHc=", {"YWxp", "YWxpY2U6cHc="}) == "Basic ***"


def test_scrub_survives_nesting_deeper_than_the_recursion_limit() -> None:
    deep: list[object] = ["secret-value"]
    for _ in range(5000):
        deep = [deep]
    scrubbed = scrub(deep, {"secret-value"})
    for _ in range(5000):
        scrubbed = scrubbed[0]
    assert scrubbed == ["***"]


def test_scrub_without_secrets_returns_the_value_as_is() -> None:
    value = {"a": "b"}
    assert scrub(value, set()) is value


SECRET = 'tok "with\\ odd+/= chars'


@pytest.mark.parametrize("prefix", [b"", b"a", b"ab", b"abc"])
@pytest.mark.parametrize("encode", [base64.b64encode, base64.urlsafe_b64encode])
def test_a_secret_inside_a_base64_blob_is_masked_at_every_byte_alignment(prefix: bytes, encode: Any) -> None:
    url = "https://x.example/?k=" + quote_plus(SECRET)
    for inner in (SECRET, json.dumps({"authorization": SECRET}), url):
        blob = encode(prefix + inner.encode() + b" trailing bytes").decode()
        masked = scrub({"body": blob}, travelling_forms({SECRET}))["body"]
        assert "***" in masked
        decoded = base64.b64decode(masked.replace("***", "").encode() + b"==", altchars=b"-_")
        assert SECRET.encode() not in decoded


def test_travelling_forms_cover_escaped_and_percent_encoded_echoes() -> None:
    forms = travelling_forms({SECRET})
    echoes = [
        json.dumps({"h": SECRET}),                     # JSON-escaped in a text body
        quote(json.dumps({"h": SECRET}), safe=""),     # URL-encoded JSON
        "next=" + quote_plus("https://cb/?k=" + quote_plus(SECRET)),  # a URL inside a URL
    ]  # fmt: skip
    for echo in echoes:
        assert scrub(echo, forms).count("***") == 1, echo


def test_scrub_bytes_masks_secrets_among_bytes_that_are_not_text() -> None:
    raw = b"\xff\xfe\x00Authorization: Bearer " + SECRET.encode() + b"\r\n\x00"
    assert scrub_bytes(raw, travelling_forms({SECRET})) == b"\xff\xfe\x00Authorization: Bearer ***\r\n\x00"
