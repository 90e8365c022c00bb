"""A package's egress allow-list: which hosts its requests may reach, checked on every hop (the
first request, each redirect, token endpoints) on top of the SSRF guard, which still vets the
address each allowed host resolves to.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit


def host_allowed(host: str, patterns: Iterable[str]) -> bool:
    """``host`` equals a pattern, or a ``*.example.com`` pattern names a parent domain of it
    (``*.example.com`` does not match ``example.com`` itself, as in TLS certificates)."""
    host = host.lower().rstrip(".")
    for written in patterns:
        pattern = written.lower()
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]) and len(host) > len(pattern) - 1:
                return True
        elif host == pattern:
            return True
    return False


def url_host(url: str) -> str | None:
    """The host of ``url`` (lower case), or None when it has none or does not parse."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return host.lower() if host else None
