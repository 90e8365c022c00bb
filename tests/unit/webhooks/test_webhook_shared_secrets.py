"""Header-secret and HTTP Basic webhook auth: rotation, malformed input, constant-time checks (case 26)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest

from a2n.webhooks.signatures import SignatureInvalid, verify_basic, verify_header_secret

CURRENT, PREVIOUS = b"s3cret-current", b"s3cret-previous"


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize("presented", ["s3cret-current", "s3cret-previous"])
def test_header_secret_accepts_any_configured_secret(presented: str) -> None:
    verify_header_secret([CURRENT, PREVIOUS], presented)


@pytest.mark.parametrize(
    "presented", [None, "", "s3cret", "s3cret-current ", "S3CRET-CURRENT", "s3cret-currentX", "é"]
)
def test_header_secret_rejects_anything_else(presented: str | None) -> None:
    with pytest.raises(SignatureInvalid) as caught:
        verify_header_secret([CURRENT, PREVIOUS], presented)
    assert caught.value.status == 401


def test_header_secret_with_no_configured_secret_rejects_even_an_empty_value() -> None:
    for expected in ([], [b""]):
        with pytest.raises(SignatureInvalid):
            verify_header_secret(expected, "anything")


@pytest.mark.parametrize(
    "header",
    [
        basic("zapier", "s3cret-current"),
        basic("zapier", "s3cret-previous"),
        "basic " + base64.b64encode(b"zapier:s3cret-current").decode(),  # scheme is case-insensitive
    ],
)
def test_basic_accepts_the_user_with_any_configured_password(header: str) -> None:
    verify_basic("zapier", [CURRENT, PREVIOUS], header)


def test_basic_password_may_contain_colons() -> None:
    verify_basic("zapier", [b"a:b:c"], basic("zapier", "a:b:c"))


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Basic",
        "Bearer s3cret-current",
        basic("other", "s3cret-current"),
        basic("zapier", "wrong"),
        basic("zapier", ""),
        "Basic " + base64.b64encode(b"zapier").decode(),  # no colon
        "Basic not*base64",
        "Basic " + base64.b64encode(b"zapier:s3cret-current").decode()[:-2],  # truncated
    ],
)
def test_basic_rejects_wrong_or_malformed_credentials(header: str | None) -> None:
    with pytest.raises(SignatureInvalid):
        verify_basic("zapier", [CURRENT, PREVIOUS], header)


def test_basic_with_no_configured_password_rejects_an_empty_one() -> None:
    with pytest.raises(SignatureInvalid):
        verify_basic("zapier", [], basic("zapier", ""))


Trace = Callable[[Callable[[], Any]], list[tuple[str, int]]]


def test_a_header_secret_check_runs_the_same_steps_for_every_wrong_value(lines_run: Trace) -> None:
    wrong = ["x3cret-current", "s3cret-currenx", "s3cret", "s3cret-current-and-more", "é"]

    paths = [lines_run(lambda v=v: verify_header_secret([CURRENT, PREVIOUS], v)) for v in wrong]

    assert paths[0] and all(path == paths[0] for path in paths)


def test_a_wrong_user_costs_the_same_steps_as_a_wrong_password(lines_run: Trace) -> None:
    """Both halves are checked before deciding, so the answer's cost does not tell which was wrong."""
    attempts = [
        basic("intruder", "s3cret-current"),
        basic("zapier", "wrong"),
        basic("intruder", "wrong"),
        basic("zapie", "s3cret-previou"),
    ]

    paths = [lines_run(lambda a=a: verify_basic("zapier", [CURRENT, PREVIOUS], a)) for a in attempts]

    assert paths[0] and all(path == paths[0] for path in paths)
