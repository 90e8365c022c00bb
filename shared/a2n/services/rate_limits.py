"""Rate limits of the account flows: every endpoint that sends email counts per address and per IP,
and two-factor codes count per user (with lockout), in fixed windows kept in Postgres (shared by
every container). Address keys are SHA-256 hashes: the counters hold no address in clear, and an
address with no account counts exactly like one with an account, so a 429 reveals nothing."""

from __future__ import annotations

import hashlib
import math
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

from a2n.errors import RateLimited

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from a2n.db.repositories.accounts import Hit

MAIL_WINDOW = timedelta(hours=1)
TWO_FACTOR_WINDOW = timedelta(minutes=15)


class TooManyRequests(RateLimited):
    def __init__(self, detail: str, retry_after_s: int) -> None:
        super().__init__(detail)
        self.retry_after_s = retry_after_s


def limit_mail(session: Session, *, address: str | None, ip: str | None) -> None:
    """Count one email-sending request for ``address`` and ``ip``; TooManyRequests (429 + Retry-After)
    past A2N_MAIL_PER_ADDRESS_PER_HOUR or A2N_MAIL_PER_IP_PER_HOUR. Both are counted before either
    refuses, so hammering one address still spends the caller's IP allowance."""
    from a2n.settings import get_settings

    settings = get_settings()
    refusals: list[int] = []
    if address:
        refusals += _over(session, f"mail:address:{address_key(address)}", settings.mail_per_address_per_hour)
    if ip:
        refusals += _over(session, f"mail:ip:{ip}", settings.mail_per_ip_per_hour)
    if refusals:
        raise TooManyRequests(
            "Too many emails asked for this address or from this network; try again later", max(refusals)
        )


def count_two_factor_failure(session: Session, user_id: uuid.UUID) -> None:
    """One wrong second-factor code; past A2N_TWO_FACTOR_MAX_FAILURES in 15 minutes the account's
    second step is locked for the rest of the window (checked by ``check_two_factor_lock``)."""
    from a2n.db.repositories.accounts import RateCounterRepository

    RateCounterRepository(session).hit(f"2fa:{user_id}", window=TWO_FACTOR_WINDOW)


def check_two_factor_lock(session: Session, user_id: uuid.UUID) -> None:
    """TooManyRequests while the user's second step is locked (too many wrong codes)."""
    from a2n.db.repositories.accounts import RateCounterRepository
    from a2n.settings import get_settings

    counters = RateCounterRepository(session)
    found = counters.peek(f"2fa:{user_id}", window=TWO_FACTOR_WINDOW)
    if found is not None and found.count >= get_settings().two_factor_max_failures:
        raise TooManyRequests(
            "Too many wrong two-factor codes; try again later", _seconds_left(found, TWO_FACTOR_WINDOW)
        )


def clear_two_factor_failures(session: Session, user_id: uuid.UUID) -> None:
    from a2n.db.repositories.accounts import RateCounterRepository

    RateCounterRepository(session).clear(f"2fa:{user_id}")


def address_key(address: str) -> str:
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()


def _over(session: Session, key: str, limit: int) -> list[int]:
    from a2n.db.repositories.accounts import RateCounterRepository

    if limit <= 0:
        return []
    hit = RateCounterRepository(session).hit(key, window=MAIL_WINDOW)
    return [_seconds_left(hit, MAIL_WINDOW)] if hit.count > limit else []


def _seconds_left(hit: Hit, window: timedelta) -> int:
    return max(1, math.ceil((hit.window_start + window - hit.at).total_seconds()))
