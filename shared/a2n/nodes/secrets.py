"""Credential values and the forms derived from them, and scrubbing them out of anything stored.

The step service scrubs node inputs, outputs and errors with these before they reach Postgres,
logs or queues (SECURITY promise 4, case 21).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from a2n.nodes.context import Credential

MASK = "***"
MIN_SECRET_LENGTH = 4  # shorter values would mask ordinary words everywhere
# Fields that describe a credential rather than hold a secret: masking "header" or a token URL
# in every stored output would mangle data and protect nothing.
DESCRIPTOR_FIELDS = frozenset({"in", "name", "tokenUrl", "scope", "expiresAt", "clientAuth"})


def secret_values(credential: Credential | None) -> frozenset[str]:
    """Every secret string of the credential (leaves of its data ≥ 4 chars, descriptors excluded)
    plus the forms it travels in: the basic-auth token and ``Bearer …`` strings."""
    if credential is None:
        return frozenset()
    values = set(_leaves(credential.data))
    data = credential.data
    if credential.type == "basic":
        values.add(basic_token(str(data.get("username", "")), str(data.get("password", ""))))
    if credential.type in ("oauth2_client_credentials", "oauth2"):
        values.add(basic_token(str(data.get("clientId", "")), str(data.get("clientSecret", ""))))
    for token in (data.get("token"), data.get("accessToken")):
        if isinstance(token, str) and token:
            values.add(f"Bearer {token}")
    return frozenset(v for v in values if len(v) >= MIN_SECRET_LENGTH)


def basic_token(username: str, password: str) -> str:
    """The base64 part of an ``Authorization: Basic`` header."""
    return base64.b64encode(f"{username}:{password}".encode()).decode("ascii")


def scrub(value: Any, secrets: Collection[str]) -> Any:
    """A copy of the JSON-like ``value`` with every occurrence of a secret inside strings and dict
    keys replaced by ``***``. Iterative, so a deeply nested response cannot exhaust the stack."""
    needles = sorted({s for s in secrets if s}, key=len, reverse=True)  # longest first: no leftovers
    if not needles:
        return value
    pattern = re.compile("|".join(map(re.escape, needles)))

    def mask(text: str) -> str:
        return pattern.sub(MASK, text)

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
