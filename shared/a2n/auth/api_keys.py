"""API keys: ``a2n_`` + 43 base62 chars (256 bits) + a 6-char CRC32 checksum, stored as SHA-256.

The checksum (as in GitHub's token format) rejects typos and junk without a database lookup; the
prefix (first 12 chars) is kept in clear so users can tell their keys apart.
"""

from __future__ import annotations

import hashlib
import secrets
import zlib
from dataclasses import dataclass, field
from enum import StrEnum

KEY_PREFIX = "a2n_"
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BODY_LEN = 43  # 62**43 > 2**256
_CHECK_LEN = 6  # 62**6 > 2**32, enough for a CRC32
_DISPLAY_PREFIX_LEN = len(KEY_PREFIX) + 8
API_KEY_LENGTH = len(KEY_PREFIX) + _BODY_LEN + _CHECK_LEN


class Scope(StrEnum):
    """What an API key may do (API.md "Identity")."""

    WORKFLOWS_READ = "workflows:read"
    WORKFLOWS_WRITE = "workflows:write"
    EXECUTIONS_READ = "executions:read"
    EXECUTIONS_WRITE = "executions:write"
    CREDENTIALS_READ = "credentials:read"
    CREDENTIALS_WRITE = "credentials:write"
    WORKSPACES_ADMIN = "workspaces:admin"


@dataclass(frozen=True)
class ApiKeyMaterial:
    """A new key: ``plain`` is shown to the user once; ``prefix`` and ``hash`` are stored."""

    plain: str = field(repr=False)
    prefix: str
    hash: str


def new_api_key() -> ApiKeyMaterial:
    """A fresh random API key with its display prefix and storage hash."""
    body = "".join(secrets.choice(_ALPHABET) for _ in range(_BODY_LEN))
    plain = f"{KEY_PREFIX}{body}{_checksum(body)}"
    return ApiKeyMaterial(plain=plain, prefix=plain[:_DISPLAY_PREFIX_LEN], hash=hash_api_key(plain))


def hash_api_key(plain: str) -> str:
    """SHA-256 hex of the key: enough for 256-bit random secrets, and a unique-indexable lookup."""
    return hashlib.sha256(plain.encode()).hexdigest()


def looks_like_api_key(token: str) -> bool:
    """True for a well-formed key with a valid checksum (says nothing about whether it exists)."""
    if len(token) != API_KEY_LENGTH or not token.startswith(KEY_PREFIX):
        return False
    rest = token[len(KEY_PREFIX) :]
    if any(c not in _ALPHABET for c in rest):
        return False
    body, check = rest[:_BODY_LEN], rest[_BODY_LEN:]
    return secrets.compare_digest(check, _checksum(body))


def parse_scopes(values: list[str]) -> frozenset[Scope]:
    """Scopes from request strings; raises ValueError naming the first unknown one."""
    known = {scope.value for scope in Scope}
    unknown = [v for v in values if v not in known]
    if unknown:
        raise ValueError(f"unknown scope: {unknown[0]}")
    return frozenset(Scope(v) for v in values)


def _checksum(body: str) -> str:
    value = zlib.crc32(body.encode())
    digits = []
    for _ in range(_CHECK_LEN):
        value, digit = divmod(value, len(_ALPHABET))
        digits.append(_ALPHABET[digit])
    return "".join(reversed(digits))
