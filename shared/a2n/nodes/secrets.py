"""Credential values and the forms derived from them, and scrubbing them out of anything stored.

The step service scrubs node inputs, outputs and errors with these before they reach Postgres,
logs or queues (SECURITY promise 4, cases 21 and 30); the HTTP node scrubs a binary response body
before it base64-encodes it, because no text scrub can see a secret inside base64.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, quote_plus

if TYPE_CHECKING:
    from a2n.nodes.context import Credential

MASK = "***"
MIN_SECRET_LENGTH = 4  # shorter values would mask ordinary words everywhere
# A secret inside a larger base64 blob shows as one of three "cores" (one per byte alignment). Short
# cores would match random base64 (and ordinary words) too often: only cores this long are used.
MIN_BASE64_CORE = 8
# Fields that describe a credential rather than hold a secret: masking "header" or a token URL
# in every stored output would mangle data and protect nothing.
DESCRIPTOR_FIELDS = frozenset({"in", "name", "tokenUrl", "scope", "expiresAt", "clientAuth"})


def secret_values(credential: Credential | None) -> frozenset[str]:
    """Every secret string of the credential (leaves of its data ≥ 4 chars, descriptors excluded)
    plus the forms it travels in: the Basic pair (``user:password``, and its token) and
    ``Bearer …`` strings."""
    if credential is None:
        return frozenset()
    values = set(_leaves(credential.data))
    data = credential.data
    pairs = {"basic": ("username", "password"), "oauth2_client_credentials": ("clientId", "clientSecret"),
             "oauth2": ("clientId", "clientSecret")}  # fmt: skip
    if credential.type in pairs:
        user, password = (str(data.get(name, "")) for name in pairs[credential.type])
        values |= {f"{user}:{password}", basic_token(user, password)}
        if credential.type != "basic":  # OAuth2 clients send the pair form-urlencoded (RFC 6749)
            values |= {f"{quote_plus(user, safe='')}:{quote_plus(password, safe='')}",
                       client_basic_token(user, password)}  # fmt: skip
    for token in (data.get("token"), data.get("accessToken")):
        if isinstance(token, str) and token:
            values.add(f"Bearer {token}")
    return frozenset(v for v in values if len(v) >= MIN_SECRET_LENGTH)


def basic_token(username: str, password: str) -> str:
    """The base64 part of an ``Authorization: Basic`` header."""
    return base64.b64encode(f"{username}:{password}".encode()).decode("ascii")


def travelling_forms(secrets: Collection[str]) -> frozenset[str]:
    """Each secret as a response may echo it back: raw, JSON-escaped (inside a text body),
    percent- or plus-encoded (an api_key sent in the query comes back in a URL, JSON inside a
    form), and base64 / base64url, alone or anywhere inside a larger base64 blob."""
    forms: set[str] = set()
    for secret in secrets:
        escaped = {secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
        texts = escaped | _percent_encoded(escaped)
        forms |= texts | _percent_encoded(texts - escaped)  # twice: a URL inside a URL's query
        for text in texts:  # a base64 blob may hold a JSON document or a URL echoing the secret
            forms |= _base64_forms(text.encode())
    return frozenset(form for form in forms if len(form) >= MIN_SECRET_LENGTH)


def _percent_encoded(texts: set[str]) -> set[str]:
    return {encode(text) for text in texts for encode in (lambda t: quote(t, safe=""), quote, quote_plus)}


def _base64_forms(raw: bytes) -> set[str]:
    forms: set[str] = set()
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        whole = encode(raw).decode("ascii")
        forms |= {whole, whole.rstrip("=")}
        for offset in (0, 1, 2):
            # Characters of the encoding of (offset filler bytes + raw) that depend on raw alone.
            shifted = encode(b"\0" * offset + raw).decode("ascii")
            core = shifted[-(-8 * offset // 6) : (8 * (offset + len(raw))) // 6]
            if len(core) >= MIN_BASE64_CORE:
                forms.add(core)
    return forms


def scrub_bytes(raw: bytes, forms: Collection[str]) -> bytes:
    """``raw`` with every form (UTF-8 encoded) replaced by ``***``, longest first."""
    for form in sorted(forms, key=len, reverse=True):
        needle = form.encode()
        if needle in raw:
            raw = raw.replace(needle, MASK.encode())
    return raw


def client_basic_token(client_id: str, client_secret: str) -> str:
    """The base64 part of an OAuth2 client's ``Authorization: Basic`` header. RFC 6749 §2.3.1: the
    id and the secret are each form-urlencoded (Appendix B) before they are joined with ``:``, so a
    secret holding ``:``, ``%`` or ``+`` reaches the server intact."""
    return basic_token(quote_plus(client_id, safe=""), quote_plus(client_secret, safe=""))


def scrub(value: Any, secrets: Collection[str]) -> Any:
    """A copy of the JSON-like ``value`` with every occurrence of a secret inside strings and dict
    keys replaced by ``***``. Iterative, so a deeply nested response cannot exhaust the stack."""
    needles = sorted({s for s in secrets if s}, key=len, reverse=True)  # longest first: no leftovers
    if not needles:
        return value
    shortest = len(needles[-1])

    def mask(text: str) -> str:
        # One str.replace per needle beats one regex alternation of them (5-8x on a 1 MiB body).
        if len(text) < shortest:
            return text
        for needle in needles:
            if needle in text:
                text = text.replace(needle, MASK)
        return text

    holder: list[Any] = [None]
    stack: list[tuple[Any, Any, Any]] = [(holder, 0, value)]
    while stack:
        parent, slot, item = stack.pop()
        if isinstance(item, str):
            parent[slot] = mask(item)
        elif isinstance(item, Mapping):
            copy: dict[Any, Any] = {}
            parent[slot] = copy
            for key, child in item.items():
                new_key = mask(key) if isinstance(key, str) else key
                copy[new_key] = None
                stack.append((copy, new_key, child))
        elif isinstance(item, list | tuple):
            items: list[Any] = [None] * len(item)
            parent[slot] = items
            stack.extend((items, index, child) for index, child in enumerate(item))
        else:
            parent[slot] = item
    return holder[0]


def _leaves(data: Mapping[str, Any]) -> list[str]:
    # Descriptor names count at the top level only: a custom header called "name" is a secret.
    found: list[str] = []
    stack: list[Any] = [child for key, child in data.items() if key not in DESCRIPTOR_FIELDS]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return found
