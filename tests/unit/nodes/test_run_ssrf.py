"""The SSRF guard on its own (SECURITY case 24): every corpus entry is refused on the address the
resolver returns, operator allow-lists open exactly their ranges, and only http(s) passes."""

from __future__ import annotations

import ipaddress

import pytest

from a2n.nodes.context import NodeFailed
from a2n.nodes.http import ssrf

# Numeric host forms resolve without DNS: libc turns each into the address a connect would use.
CORPUS = [
    "http://169.254.169.254/latest/meta-data/",
    "http://[::ffff:169.254.169.254]/",
    "http://2852039166/",
    "http://0251.0376.0251.0376/",
    "http://0xa9fea9fe/",
    "http://localhost:8080/",
    "http://127.1/",
    "http://0.0.0.0/",
    "http://10.0.0.5/",
    "http://172.16.3.4/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://[::1]/",
    "http://[fd00:ec2::254]/",
    "http://[fe80::1]/",
    "http://224.0.0.1/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://[2002:a9fe:a9fe::1]/",
]


@pytest.mark.parametrize("url", CORPUS)
def test_corpus_addresses_are_blocked(url: str) -> None:
    with pytest.raises(NodeFailed, match="blocked") as failure:
        ssrf.vet_url(url, ())
    assert failure.value.retryable is False


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "gopher://127.0.0.1:6379/_x", "ftp://example.com/", "x"]
)
def test_only_http_and_https_schemes_pass(url: str) -> None:
    with pytest.raises(NodeFailed, match="scheme"):
        ssrf.vet_url(url, ())


def test_a_name_resolving_to_any_private_address_is_blocked_without_naming_the_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ssrf, "resolve_host", lambda host, port: ["93.184.216.34", "10.1.2.3"])
    with pytest.raises(NodeFailed) as refused:
        ssrf.vet_url("https://internal.example.com/", ())
    error = refused.value.as_error()
    # Internal DNS reconnaissance: the stored, user-visible error must not say where a name points.
    assert "10.1.2.3" not in str(error) and "10.1.2" not in str(error)
    assert "'internal.example.com' resolves to a non-public address" in error["message"]
    assert "A2N_HTTP_ALLOW_NETWORKS" in error["message"]  # what to do next
    assert "`a2n dev --allow-network CIDR`" in error["message"]  # and locally, the flag
    assert error["details"] == {"host": "internal.example.com"}


def test_a_literal_private_address_is_called_one_not_resolved() -> None:
    with pytest.raises(NodeFailed, match=r"'10\.9\.8\.7' is a non-public address"):
        ssrf.vet_url("http://10.9.8.7/", ())


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("http://127.1/x", True), ("http://2852039166/", True), ("http://0x7f.1/", True),
        ("http://0251.0376.0251.0376/", True), ("http://localhost:8080/", True),
        ("http://api.localhost/", True), ("http://[::1]/", True), ("http://[::ffff:169.254.169.254]/", True),
        ("http://10.0.0.5/{{ x }}", True),
        ("http://{{ vars.host }}/", False), ("https://example.com/", False), ("http://8.8.8.8/", False),
        ("http://abc/", False), ("http://1.2.3.4.5/", False), ("not a url", False),
    ],
)  # fmt: skip
def test_urls_literally_naming_an_unreachable_address_are_recognised_without_dns(
    url: str, named: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ssrf, "resolve_host", lambda host, port: pytest.fail("no DNS lookup at save time"))
    assert ssrf.names_unreachable_address(url, ()) is named
    assert ssrf.names_unreachable_address(url, ("0.0.0.0/0", "::/0")) is False


def test_a_public_name_is_pinned_to_its_first_address_with_host_port_and_path_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ssrf, "resolve_host", lambda host, port: ["93.184.216.34", "2606:2800:220:1::1"])
    target = ssrf.vet_url("https://API.example.com:8443/a b/c?q=1 2#frag", ())
    assert target == ssrf.Target("https", "api.example.com", 8443, "93.184.216.34", "/a%20b/c?q=1%202")


def test_user_info_in_the_url_is_refused() -> None:
    with pytest.raises(NodeFailed, match="user info"):
        ssrf.vet_url("http://user:pw@93.184.216.34/", ())


def test_an_allowed_network_opens_exactly_that_range() -> None:
    allow = ("127.0.0.0/8",)
    assert ssrf.vet_url("http://127.0.0.1:9/", allow).address == "127.0.0.1"
    assert ssrf.vet_url("http://[::ffff:127.0.0.1]:9/", allow).port == 9
    with pytest.raises(NodeFailed, match="blocked"):
        ssrf.vet_url("http://169.254.169.254/", allow)


@pytest.mark.parametrize(
    ("address", "reachable"),
    [
        ("8.8.8.8", True),
        ("2606:4700::1111", True),
        ("64:ff9b::808:808", True),  # NAT64 of a public address
        ("::ffff:8.8.8.8", True),
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("::", False),
        ("ff02::1", False),
        ("198.18.0.1", False),
    ],
)
def test_reachability_of_single_addresses(address: str, reachable: bool) -> None:
    assert ssrf.is_reachable(ipaddress.ip_address(address)) is reachable


def test_an_unresolvable_host_is_a_retryable_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_answer(host: str, port: int) -> list[str]:
        raise OSError("no address")

    monkeypatch.setattr(ssrf, "resolve_host", no_answer)
    with pytest.raises(NodeFailed, match="cannot resolve") as failure:
        ssrf.vet_url("http://nowhere.invalid/", ())
    assert failure.value.retryable is True
