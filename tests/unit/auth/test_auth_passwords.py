"""Password hashing: argon2id verify, rehash detection, and the dummy verify for unknown emails."""

from __future__ import annotations

from argon2 import PasswordHasher

from a2n.auth.passwords import (
    MEMORY_COST_KIB,
    TIME_COST,
    _dummy_hash,
    dummy_verify,
    hash_password,
    needs_rehash,
    verify_password,
)

PASSWORD = "correct horse battery staple"


def test_hash_verifies_only_the_same_password() -> None:
    stored = hash_password(PASSWORD)

    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert verify_password(stored, PASSWORD)
    assert not verify_password(stored, PASSWORD + " ")
    assert not verify_password(stored, "")


def test_same_password_hashes_differently_each_time() -> None:
    assert hash_password(PASSWORD) != hash_password(PASSWORD)


def test_hash_uses_the_tuned_parameters() -> None:
    stored = hash_password(PASSWORD)

    assert f"m={MEMORY_COST_KIB},t={TIME_COST},p=1" in stored
    assert not needs_rehash(stored)


def test_weaker_hash_still_verifies_but_needs_rehash() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)

    assert verify_password(weak, PASSWORD)
    assert needs_rehash(weak)


def test_unreadable_hash_fails_verification_and_needs_rehash() -> None:
    for junk in ["", "not-a-hash", "$2b$12$abcdefghijklmnopqrstuv"]:
        assert not verify_password(junk, PASSWORD)
        assert needs_rehash(junk)


def test_dummy_verify_never_succeeds_even_for_its_own_password() -> None:
    assert dummy_verify(PASSWORD) is False
    assert dummy_verify("a2n-dummy-password-never-matches") is False


def test_dummy_hash_costs_the_same_as_a_real_one() -> None:
    # Same parameters ⇒ same work per verify, which is what hides unknown emails.
    assert not needs_rehash(_dummy_hash())
