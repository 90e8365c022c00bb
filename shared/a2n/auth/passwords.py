"""Password hashing with argon2id (argon2-cffi), tuned so one hash costs ≥ 50 ms.

Measured on the 2-core dev box (median of 7, hash ≈ verify): t=2/m=19 MiB 20 ms; t=6/m=19 MiB 60 ms;
t=2/m=32 MiB 55 ms; **t=3/m=32 MiB/p=1 73 ms** (chosen); t=2/m=64 MiB 115 ms; t=3/m=64 MiB 155 ms.
32 MiB stays far below a 512 MB Lambda; p=1 because a small Lambda has under one vCPU to spread over.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from argon2 import PasswordHasher

TIME_COST = 3
MEMORY_COST_KIB = 32 * 1024
PARALLELISM = 1


def hash_password(pw: str) -> str:
    """An argon2id PHC string (parameters and salt included) for ``pw``."""
    return _hasher().hash(pw)


def verify_password(hash: str, pw: str) -> bool:
    """True when ``pw`` matches ``hash``; False for a wrong password or an unreadable hash."""
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(hash, pw)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(hash: str) -> bool:
    """True when ``hash`` was made with other parameters: re-hash it on the next successful login."""
    from argon2.exceptions import InvalidHashError

    try:
        return _hasher().check_needs_rehash(hash)
    except InvalidHashError:
        return True


def dummy_verify(pw: str) -> bool:
    """Spend one verification's time for an unknown email, so timing does not reveal which exist.

    Always False, so a login can read ``ok = verify_password(...) if user else dummy_verify(pw)``.
    """
    verify_password(_dummy_hash(), pw)
    return False


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    from argon2 import PasswordHasher, Type

    return PasswordHasher(
        time_cost=TIME_COST, memory_cost=MEMORY_COST_KIB, parallelism=PARALLELISM, type=Type.ID
    )


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Same parameters as real hashes, so a dummy verify costs exactly what a real one does.
    return _hasher().hash("a2n-dummy-password-never-matches")
