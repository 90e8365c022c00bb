"""API keys: format with checksum, SHA-256 storage hash, display prefix, scopes."""

from __future__ import annotations

import hashlib

import pytest

from a2n.auth.api_keys import (
    API_KEY_LENGTH,
    Scope,
    hash_api_key,
    looks_like_api_key,
    new_api_key,
    parse_scopes,
)


def test_new_key_has_prefix_checksum_and_stored_hash() -> None:
    key = new_api_key()

    assert key.plain.startswith("a2n_") and len(key.plain) == API_KEY_LENGTH
    assert key.prefix == key.plain[:12]
    assert key.hash == hashlib.sha256(key.plain.encode()).hexdigest() == hash_api_key(key.plain)
    assert looks_like_api_key(key.plain)


def test_keys_are_unique_and_repr_hides_the_plain_key() -> None:
    keys = [new_api_key() for _ in range(200)]

    assert len({k.plain for k in keys}) == 200
    assert all(k.plain not in repr(k) for k in keys)


def test_one_changed_character_fails_the_checksum() -> None:
    plain = new_api_key().plain
    position = 20
    swapped = "B" if plain[position] == "A" else "A"
    typo = plain[:position] + swapped + plain[position + 1 :]

    assert not looks_like_api_key(typo)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "a2n_",
        "eyJhbGciOiJIUzI1NiJ9.e30.sig",
        "xyz_" + "a" * (API_KEY_LENGTH - 4),
        "a2n_" + "-" * (API_KEY_LENGTH - 4),
    ],
)
def test_malformed_tokens_are_not_api_keys(token: str) -> None:
    assert not looks_like_api_key(token)


def test_truncated_and_extended_keys_are_not_api_keys() -> None:
    plain = new_api_key().plain

    assert not looks_like_api_key(plain[:-1])
    assert not looks_like_api_key(plain + "0")


def test_the_seven_scopes_of_the_api() -> None:
    assert {s.value for s in Scope} == {
        "workflows:read",
        "workflows:write",
        "executions:read",
        "executions:write",
        "credentials:read",
        "credentials:write",
        "workspaces:admin",
    }


def test_parse_scopes_accepts_known_and_names_the_unknown() -> None:
    assert parse_scopes(["workflows:read", "workflows:read"]) == {Scope.WORKFLOWS_READ}
    with pytest.raises(ValueError, match="workflows:delete"):
        parse_scopes(["workflows:read", "workflows:delete"])
