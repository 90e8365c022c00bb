"""Unit of work: one session, one transaction, committed only when the caller says so.

Services own the transaction boundary; repositories receive ``uow.session`` and never commit.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Self

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker


class UnitOfWork:
    """``with UnitOfWork() as uow: ...; uow.commit()`` — leaving without commit rolls back."""

    def __init__(self, sessions: sessionmaker[Session] | None = None) -> None:
        self._sessions = sessions
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("UnitOfWork.session used outside its `with` block")
        return self._session

    def __enter__(self) -> Self:
        if self._sessions is None:
            from a2n.db.session import get_sessionmaker

            self._sessions = get_sessionmaker()
        self._session = self._sessions()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self.session
        try:
            session.rollback()  # no-op after commit; discards anything uncommitted
        finally:
            session.close()
            self._session = None

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()

    def flush(self) -> None:
        self.session.flush()
