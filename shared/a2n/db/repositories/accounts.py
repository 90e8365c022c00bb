"""Repositories of the account lifecycle: single-use tokens, login sessions, security events, rate
counters, recovery codes and linked identity-provider accounts (issue 12)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, bindparam, delete, func, select, text, update
from sqlalchemy.orm import Session

from a2n.db.models import AccountToken, RateCounter, RecoveryCode, SecurityEvent, UserIdentity, UserSession
from a2n.db.repositories.base import Keyset, Repository, Slice


class AccountTokenRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_token(self, **values: Any) -> AccountToken:
        row = AccountToken(**values)
        self.session.add(row)
        self.session.flush()
        return row

    def get_by_hash_locked(self, token_hash: str) -> AccountToken | None:
        return self.session.scalars(
            select(AccountToken).where(AccountToken.token_hash == token_hash).with_for_update()
        ).one_or_none()

    def use_all(self, user_id: uuid.UUID, purpose: str, at: datetime) -> int:
        """Spend every live token of ``purpose`` for the user (one reset link used: the others die)."""
        result = self.session.execute(
            update(AccountToken)
            .where(AccountToken.user_id == user_id, AccountToken.purpose == purpose,
                   AccountToken.used_at.is_(None))
            .values(used_at=at)
        )  # fmt: skip
        return int(getattr(result, "rowcount", 0) or 0)

    def drop_expired(self, before: datetime) -> int:
        result = self.session.execute(delete(AccountToken).where(AccountToken.expires_at < before))
        return int(getattr(result, "rowcount", 0) or 0)


class SessionRepository(Repository[UserSession]):
    model = UserSession

    def add_session(self, row: UserSession) -> UserSession:
        self.session.add(row)
        self.session.flush()
        return row

    def live_for_user(self, user_id: uuid.UUID) -> list[UserSession]:
        query = select(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        return list(self.session.scalars(query))

    def page_for_user(self, user_id: uuid.UUID, *, limit: int, after: Keyset | None) -> Slice[UserSession]:
        """Live sessions, newest sign-in first."""
        query = select(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        return self.page(query, limit=limit, after=after)

    def seen_before(
        self, user_id: uuid.UUID, ip: str | None, user_agent: str | None, *, excluding: uuid.UUID
    ) -> bool:
        """Has the user signed in before from this IP with this user agent (any session, even
        revoked)? A first sign-in ever counts as seen: there is nothing to compare with."""
        others = select(UserSession.ip, UserSession.user_agent).where(
            UserSession.user_id == user_id, UserSession.id != excluding
        )
        rows = self.session.execute(others.limit(500)).all()
        if not rows:
            return True
        return any(r.ip == ip and r.user_agent == user_agent for r in rows)


class SecurityEventRepository(Repository[SecurityEvent]):
    model = SecurityEvent

    def add_event(self, row: SecurityEvent) -> None:
        self.session.add(row)

    def page_for_user(self, user_id: uuid.UUID, *, limit: int, after: Keyset | None) -> Slice[SecurityEvent]:
        """The user's events, newest first."""
        query = select(SecurityEvent).where(SecurityEvent.user_id == user_id)
        return self.page(query, limit=limit, after=after)


# A window older than :window_s starts over at 1; otherwise the count goes up. One statement: the
# conflicting row stays locked until the caller's transaction ends, so concurrent hits count one by
# one across containers.
_HIT = text("""
INSERT INTO rate_counters AS c (key, window_start, count) VALUES (:key, now(), 1)
ON CONFLICT (key) DO UPDATE SET
    count = CASE WHEN c.window_start <= now() - make_interval(secs => :window_s)
                 THEN 1 ELSE c.count + 1 END,
    window_start = CASE WHEN c.window_start <= now() - make_interval(secs => :window_s)
                        THEN now() ELSE c.window_start END
RETURNING count, window_start, now() AS at
""").bindparams(bindparam("window_s", type_=Integer))


@dataclass(frozen=True)
class Hit:
    count: int  # hits in the current window, this one included
    window_start: datetime
    at: datetime  # the database's now(): when the window ends is window_start + window


class RateCounterRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def hit(self, key: str, *, window: timedelta) -> Hit:
        count, start, at = self.session.execute(
            _HIT, {"key": key, "window_s": int(window.total_seconds())}
        ).one()
        return Hit(int(count), start, at)

    def peek(self, key: str, *, window: timedelta) -> Hit | None:
        """The current window's count without counting; None when no window is open."""
        opened_after = func.now() - func.make_interval(0, 0, 0, 0, 0, 0, window.total_seconds())
        row = self.session.execute(
            select(RateCounter.count, RateCounter.window_start, func.now()).where(
                RateCounter.key == key, RateCounter.window_start > opened_after
            )
        ).one_or_none()
        return None if row is None else Hit(int(row[0]), row[1], row[2])

    def clear(self, key: str) -> None:
        self.session.execute(delete(RateCounter).where(RateCounter.key == key))

    def drop_older_than(self, before: datetime) -> int:
        result = self.session.execute(delete(RateCounter).where(RateCounter.window_start < before))
        return int(getattr(result, "rowcount", 0) or 0)


class RecoveryCodeRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def replace(self, user_id: uuid.UUID, hashes: list[str]) -> None:
        self.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
        self.session.add_all(RecoveryCode(user_id=user_id, code_hash=h) for h in hashes)
        self.session.flush()

    def use(self, user_id: uuid.UUID, code_hash: str, at: datetime) -> bool:
        """Spend the unused code with this hash; False when there is none."""
        result = self.session.execute(
            update(RecoveryCode)
            .where(RecoveryCode.user_id == user_id, RecoveryCode.code_hash == code_hash,
                   RecoveryCode.used_at.is_(None))
            .values(used_at=at)
        )  # fmt: skip
        return bool(getattr(result, "rowcount", 0))

    def remaining(self, user_id: uuid.UUID) -> int:
        query = select(func.count()).where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
        return int(self.session.scalar(query) or 0)

    def drop_all(self, user_id: uuid.UUID) -> None:
        self.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))


class UserIdentityRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def find(self, provider: str, subject: str) -> UserIdentity | None:
        return self.session.scalars(
            select(UserIdentity).where(UserIdentity.provider == provider, UserIdentity.subject == subject)
        ).one_or_none()

    def for_user(self, user_id: uuid.UUID) -> list[UserIdentity]:
        return list(self.session.scalars(select(UserIdentity).where(UserIdentity.user_id == user_id)))

    def add_identity(self, row: UserIdentity) -> UserIdentity:
        self.session.add(row)
        self.session.flush()
        return row
