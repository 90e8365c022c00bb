"""The SSRF guard (SECURITY case 24): only http(s), and only to public addresses unless the operator
allows a range (``A2N_HTTP_ALLOW_NETWORKS``). The host is resolved once here; the client connects to
the returned address, so a second DNS answer (rebinding) can never be used.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote, urlsplit

from a2n.errors import ConfigurationError
from a2n.nodes.context import NodeFailed

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_PORTS = {"http": 80, "https": 443}
# Cloud metadata endpoints, named so that the intent survives any change to the rules below.
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254"))
URL_SAFE = "/%:@!$&'()*+,;=-._~?"
NAT64_PREFIX = ipaddress.IPv6Network("64:ff9b::/96")


@dataclass(frozen=True)
class Target:
    """A vetted request target: connect to ``address``, speak to ``host`` (Host header, TLS SNI)."""

    scheme: str
    host: str
    port: int
    address: str
    path: str  # path and query, as sent on the request line


def resolve_host(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for ``host`` (libc parses numeric forms such as
    ``2852039166`` or ``0x7f.1`` exactly as a connect would). Tests replace this function."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def vet_url(url: str, allow_networks: Sequence[str]) -> Target:
    """The target of ``url`` if every address its host resolves to may be reached; else NodeFailed."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise NodeFailed(f"blocked: scheme '{scheme or '(none)'}' is not allowed (http and https only)")
    if parts.username is not None or parts.password is not None:
        raise NodeFailed("blocked: user info in the URL; use a basic credential instead")
    host = parts.hostname
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError:
        raise NodeFailed("invalid port in URL") from None
    if not host:
        raise NodeFailed("the URL has no host")
    address = _vetted_address(host, port, _networks(tuple(allow_networks)))
    # Quote what a browser would (spaces, non-ASCII); existing %-escapes are kept as they are.
    path = quote(parts.path or "/", safe=URL_SAFE) + (
        f"?{quote(parts.query, safe=URL_SAFE)}" if parts.query else ""
    )
    return Target(scheme, host, port, address, path)


def is_reachable(address: IPAddress, allowed: Sequence[IPNetwork] = ()) -> bool:
    """May a request go to this address? Public unicast, or inside an operator-allowed network.
    Addresses embedding an IPv4 one (mapped, NAT64, 6to4) are judged by what they embed too."""
    if any(address in network for network in allowed):
        return True
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return is_reachable(address.ipv4_mapped, allowed)
        if address in NAT64_PREFIX:
            return is_reachable(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF), allowed)
        if address.sixtofour is not None and not is_reachable(address.sixtofour, allowed):
            return False
    return _is_public(address)


def _is_public(address: IPAddress) -> bool:
    # is_global alone lets multicast through (224.0.0.0/4 counts as global), hence the full list.
    return address.is_global and not (
        address in METADATA_ADDRESSES
        or address.is_multicast
        or address.is_private
        or address.is_reserved
        or address.is_loopback
        or address.is_link_local
        or address.is_unspecified
    )


def _vetted_address(host: str, port: int, allowed: Sequence[IPNetwork]) -> str:
    try:
        addresses = resolve_host(host, port)
    except (OSError, UnicodeError):
        raise NodeFailed(f"cannot resolve host '{host}'", retryable=True) from None
    if not addresses:
        raise NodeFailed(f"cannot resolve host '{host}'", retryable=True)
    for text in addresses:
        address = ipaddress.ip_address(text.split("%", 1)[0])  # drop an IPv6 zone id
        if not is_reachable(address, allowed):
            # Never name the address: the error is stored and shown, and a hostname's private
            # address is exactly what internal DNS reconnaissance through A2N would be after.
            raise NodeFailed(
                f"blocked: '{host}' {_is_or_resolves(host)} a non-public address; {ALLOW_HINT}",
                details={"host": host},
            )
    return addresses[0]


ALLOW_HINT = (
    "an operator can allow its range with the A2N_HTTP_ALLOW_NETWORKS setting (a JSON list of CIDRs; "
    "locally, `a2n dev --allow-network CIDR`)"
)


def _is_or_resolves(host: str) -> str:
    return "is" if _parsed_ip(host) is not None else "resolves to"


def _parsed_ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def literal_address(host: str) -> IPAddress | None:
    """The address ``host`` names without any DNS lookup: an IP literal in any spelling libc
    accepts (``127.1``, ``2852039166``, ``0x7f.1``) or ``localhost``; None for other names."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return ipaddress.IPv4Address("127.0.0.1")
    found = _parsed_ip(host.split("%", 1)[0])
    if found is not None:
        return found
    if not host or not all(c in "0123456789abcdefx." for c in host):
        return None  # inet_aton would not read it, and skipping it saves the call
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def names_unreachable_address(url: str, allow_networks: Sequence[str]) -> bool:
    """Does ``url`` literally name an address the guard will refuse (warned about at save time)?
    Pure: no DNS lookup; a host written with a template is not judged."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return False
    address = literal_address(host) if host and "{" not in host else None
    return address is not None and not is_reachable(address, _networks(tuple(allow_networks)))


@lru_cache(maxsize=8)
def _networks(cidrs: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    try:
        return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)
    except ValueError as error:
        raise ConfigurationError(f"A2N_HTTP_ALLOW_NETWORKS: {error}") from None
